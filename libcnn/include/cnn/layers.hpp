// Every layer libcnn defines; including a layer's header registers its type (registry.hpp), so a program
// that reads model files knows them all.
#pragma once

#include "batchnorm.hpp"
#include "conv2d.hpp"
#include "dense.hpp"
#include "dropout.hpp"
#include "flatten.hpp"
#include "fold_height.hpp"
#include "global_avg_pool.hpp"
#include "maxpool.hpp"
#include "relu.hpp"
