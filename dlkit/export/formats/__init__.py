"""The export formats, one module each; every module registers its format on `dlkit.export.FORMATS`."""
