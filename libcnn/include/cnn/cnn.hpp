// libcnn: a header-only convolutional network library on Eigen. This header includes all of it.
#pragma once

#include "ctc.hpp"
#include "frozen.hpp"
#include "init.hpp"
#include "layer.hpp"
#include "layers.hpp"
#include "loss.hpp"
#include "optim.hpp"
#include "parallel.hpp"
#include "registry.hpp"
#include "schedule.hpp"
#include "sequential.hpp"
#include "serialize.hpp"
#include "tensor.hpp"
#include "testing.hpp"
