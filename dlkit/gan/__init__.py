"""Task gan: a generator and a discriminator from the layer registry, trained adversarially by
`fit` (`network.GAN.train_step`), sampled by `dlkit generate`, scored by a classifier run."""
