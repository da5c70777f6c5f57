"""Teaching: the 2-D GAN / WGAN-GP playground (`playground`) and sampling basics (`sampling_basics`)."""
