"""``tf.sets`` (TF1 names): set operations along the last dimension."""

from torchmeta.api.sets_impl import set_difference, set_intersection, set_size, set_union

size = set_size
intersection = set_intersection
difference = set_difference
union = set_union
