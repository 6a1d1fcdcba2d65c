#include "models.hpp"

#include <initializer_list>
#include <stdexcept>

#include "image.hpp"

namespace digit {
namespace {

void set_digit_metadata(cnn::Sequential& net, const std::string& arch) {
    net.metadata["architecture"] = arch;
    net.metadata["input_mean"] = "0.1307";
    net.metadata["input_std"] = "0.3081";
}

// Blocks of conv 3x3 (pad 1) + BatchNorm + ReLU + max-pool 2 from one input channel, one per width.
void add_pooled_blocks(cnn::Sequential& net, std::initializer_list<int> widths) {
    int in = 1;
    for (int out : widths) {
        net.add<cnn::Conv2D>(in, out, 3, 1, 1);
        net.add<cnn::BatchNorm>(out);
        net.add<cnn::ReLU>();
        net.add<cnn::MaxPool2D>(2, 2);
        in = out;
    }
}

}  // namespace

cnn::Sequential make_digitnet(std::uint64_t seed) {
    cnn::Sequential net({1, 28, 28});
    add_pooled_blocks(net, {32, 64, 128});
    net.add<cnn::Flatten>();
    net.add<cnn::Dense>(128 * 3 * 3, 128);
    net.add<cnn::ReLU>();
    net.add<cnn::Dropout>(0.5, seed ^ 0xD20F);
    net.add<cnn::Dense>(128, 10);
    cnn::initialize(net, seed);
    set_digit_metadata(net, "digitnet");
    return net;
}

cnn::Sequential make_network(const std::string& arch, std::uint64_t seed, int classes) {
    if (arch == "digitnet" && classes == 10) return make_digitnet(seed);
    if (arch == "digitnet-bn" || arch == "digitnet-plus") {
        const bool plus = arch == "digitnet-plus";
        cnn::Sequential net({1, 28, 28});
        auto block = [&net](int in, int out, bool pool) {
            net.add<cnn::Conv2D>(in, out, 3, 1, 1);
            net.add<cnn::BatchNorm>(out);
            net.add<cnn::ReLU>();
            if (pool) net.add<cnn::MaxPool2D>(2, 2);
        };
        block(1, 32, true);
        if (plus) block(32, 32, false);
        block(32, 64, true);
        if (plus) block(64, 64, false);
        block(64, 128, true);
        net.add<cnn::Flatten>();
        net.add<cnn::Dense>(128 * 3 * 3, 256);
        net.add<cnn::BatchNorm>(256);
        net.add<cnn::ReLU>();
        net.add<cnn::Dropout>(0.4);
        net.add<cnn::Dense>(256, classes);
        cnn::initialize(net, seed);
        set_digit_metadata(net, arch);
        return net;
    }
    if (arch == "pairnet") {
        // Two digits side by side in a 28x56 field: the digit networks' blocks, a wider map at the end.
        cnn::Sequential net({1, kImageSide, kWideSide});
        add_pooled_blocks(net, {32, 64, 128});
        net.add<cnn::Flatten>();
        net.add<cnn::Dense>(128 * 3 * 7, 256);
        net.add<cnn::BatchNorm>(256);
        net.add<cnn::ReLU>();
        net.add<cnn::Dropout>(0.3);
        net.add<cnn::Dense>(256, classes);
        cnn::initialize(net, seed);
        set_digit_metadata(net, arch);
        return net;
    }
    throw std::invalid_argument("unknown architecture '" + arch +
                                "' (digitnet, digitnet-bn, digitnet-plus or pairnet)");
}

cnn::Sequential make_linenet(std::uint64_t seed, bool context) {
    cnn::Sequential net({1, kLineNetHeight, 64});
    net.set_variable_width(true);
    auto block = [&net](int in, int out, bool pool) {
        net.add<cnn::Conv2D>(in, out, 3, 1, 1);
        net.add<cnn::BatchNorm>(out);
        net.add<cnn::ReLU>();
        if (pool) net.add<cnn::MaxPool2D>(2, 2);
    };
    block(1, 32, true);  // 16 x W/2
    block(32, 32, false);
    block(32, 32, true);  // 8 x W/4
    block(32, 64, false);
    block(64, 64, false);
    block(64, 96, false);
    net.add<cnn::FoldHeight>();  // 768 x 1 x W/4: a column's features
    int features = 96 * kLineNetHeight / 4;
    if (context) {
        // Each column's features narrowed, then two convolutions along the columns (a 3x3 over a map one
        // row high reads three columns): each answer sees 16 px more either side, about three characters.
        net.add<cnn::Conv2D>(features, 128, 1, 1, 0);
        net.add<cnn::BatchNorm>(128);
        net.add<cnn::ReLU>();
        for (int i = 0; i < 2; ++i) {
            net.add<cnn::Conv2D>(128, 128, 3, 1, 1);
            net.add<cnn::BatchNorm>(128);
            net.add<cnn::ReLU>();
        }
        features = 128;
    }
    net.add<cnn::Dropout>(0.2, seed ^ 0x11E5);
    net.add<cnn::Conv2D>(features, 1 + int(kLineAlphabet.size()), 1, 1, 0);
    cnn::initialize(net, seed);
    net.metadata["architecture"] = "linenet";
    if (context) net.metadata["context"] = "two 3-column convolutions over the columns";
    net.metadata["alphabet"] = std::string(kLineAlphabet);
    net.metadata["input_mean"] = "0.1307";
    net.metadata["input_std"] = "0.3081";
    return net;
}

cnn::Sequential make_orientnet(std::uint64_t seed) {
    cnn::Sequential net({1, kImageSide, kImageSide});
    add_pooled_blocks(net, {16, 32, 64});
    net.add<cnn::Flatten>();
    net.add<cnn::Dense>(64 * 3 * 3, 64);
    net.add<cnn::ReLU>();
    net.add<cnn::Dense>(64, 4);
    cnn::initialize(net, seed);
    set_digit_metadata(net, "orientnet");
    return net;
}

float metadata_float(const std::map<std::string, std::string>& metadata, const std::string& key,
                     float fallback) {
    const auto it = metadata.find(key);
    if (it == metadata.end()) return fallback;
    try {
        std::size_t used = 0;
        const float value = std::stof(it->second, &used);
        return used == it->second.size() ? value : fallback;
    } catch (const std::exception&) {
        return fallback;
    }
}

}  // namespace digit
