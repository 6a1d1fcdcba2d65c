// libFuzzer target: the model-file loader. Any bytes must give a network or a ModelFileError, never a crash,
// a hang or a huge allocation; a network that loads must also compile for inference and run.
#include <cnn/cnn.hpp>

#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> bytes(data, data + size);
    try {
        cnn::NamedTensors extra;
        cnn::Sequential net = cnn::deserialize(bytes, "fuzz.cnn", &extra);
        if (net.input_shape().size() <= 4096 && net.output_shape().size() <= 4096) {
            cnn::FrozenNet frozen(net);
            cnn::FrozenNet::Workspace ws;
            std::vector<float> x(net.input_shape().size(), 0.5f), y(net.output_shape().size());
            frozen.run(x.data(), 1, y.data(), ws);
        }
    } catch (const cnn::ModelFileError&) {
    } catch (const std::invalid_argument&) {  // a shape that does not fit, found while compiling
    }
    return 0;
}
