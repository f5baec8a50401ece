"""`python -m dlkit.layers`: regenerate the Keras layer table after a Keras upgrade."""

from dlkit.layers import keras_table

keras_table.write()
print(f"wrote {keras_table.TABLE_PATH} ({len(keras_table.generate())} layers)")
