// Step 4: one digit group -> the 28x28 input the network expects, made the way MNIST itself was made: the
// ink cropped, strokes brought to MNIST's width, the longer side scaled to 20 px with area averaging, pasted
// into 28x28 so that its centre of mass sits at the centre, ink = 1 on a background of 0.
#pragma once

#include "digits.hpp"
#include "ink.hpp"

namespace digit {

// Throws ImageError(empty_image) when the group holds too little ink to be anything.
Image28 normalise_digit(const InkMap& ink, const Components& components, const DigitGroup& group);

// The last step alone: soft ink in [0,1] (any size) -> 28x28, longer side 20 px, centre of mass centred.
Image28 centre_in_field(const Plane& ink);

}  // namespace digit
