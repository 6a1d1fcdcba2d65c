// Step 4: one digit group -> the 28x28 input the network expects, made the way MNIST itself was made: the
// ink cropped, strokes brought to MNIST's width, the longer side scaled to 20 px with area averaging, pasted
// into 28x28 so that its centre of mass sits at the centre, ink = 1 on a background of 0.
#pragma once

#include "digits.hpp"
#include "ink.hpp"

namespace digit {

// Throws ImageError(empty_image) when the group holds too little ink to be anything.
Image28 normalise_digit(const InkMap& ink, const Components& components, const DigitGroup& group);

// Two digits side by side, as the pair reader sees them: a field 28 high and 56 wide, the ink 20 px high
// (or 48 px wide, whichever is reached first), its centre of mass centred.
ImageWide normalise_wide(const InkMap& ink, const Components& components, const DigitGroup& group);

// The steps before the last: the group's soft ink in [0,1], other marks removed, strokes grown to MNIST's
// width for the scale of `field`. Throws ImageError(empty_image) as normalise_digit does.
enum class Field { digit, wide };
Plane soft_ink(const InkMap& ink, const Components& components, const DigitGroup& group, Field field);

// The last step alone: soft ink in [0,1] (any size) -> 28x28, longer side 20 px, centre of mass centred.
Image28 centre_in_field(const Plane& ink);
ImageWide centre_in_wide_field(const Plane& ink);

}  // namespace digit
