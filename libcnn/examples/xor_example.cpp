// Define, train, save and load a network with libcnn: XOR of two inputs, learnt by a tiny MLP.
#include <cnn/cnn.hpp>
#include <cstdio>

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "xor.cnn";
    cnn::Sequential net({2, 1, 1});
    net.add<cnn::Dense>(2, 16);
    net.add<cnn::ReLU>();
    net.add<cnn::Dense>(16, 2);
    cnn::initialize(net, /*seed=*/42);
    cnn::Tensor x(4, 2, 1, 1), dlogits;
    const float inputs[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    std::copy(inputs, inputs + 8, x.data());
    const int labels[4] = {0, 1, 1, 0};
    cnn::Adam adam(net.params(), 0.05);
    for (int step = 0; step < 300; ++step) {
        net.zero_grad();
        cnn::softmax_cross_entropy(net.forward(x, true), labels, &dlogits);
        net.backward(dlogits);
        adam.step();
    }
    net.metadata["task"] = "xor";
    cnn::save(net, path);
    cnn::Sequential loaded = cnn::load(path);
    int correct = cnn::softmax_cross_entropy(loaded.forward(x, false), labels, nullptr).correct;
    std::printf("%s: xor learnt, %d/4 correct after save and load\n", path, correct);
    return correct == 4 ? 0 : 1;
}
