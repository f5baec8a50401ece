"""`dlkit attack`: a run's accuracy under the attacks of `dlkit.components.attacks`, its checks
before TensorFlow loads, and its plots."""
