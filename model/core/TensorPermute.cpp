// Dimension permutations as stride shuffles over the same storage.
#include "TensorPermute.h"

namespace ws {

std::vector<int> pytorchOrder(const Tensor& t) {
    const int r = t.rank();
    std::vector<int> order(static_cast<size_t>(r));
    for (int i = 0; i < r; ++i)
        order[size_t(i)] = i;
    if (!t.inputMajor || r < 2) return order;
    // out is the last dimension, in the one before, the kernel dims come first
    order.clear();
    order.push_back(r - 1);
    order.push_back(r - 2);
    for (int i = 0; i < r - 2; ++i)
        order.push_back(i);
    return order;
}

Tensor permutedView(const Tensor& t, const std::vector<int>& order) {
    Tensor v = t;
    for (size_t i = 0; i < order.size() && i < t.shape.size(); ++i) {
        v.shape[i] = t.shape[size_t(order[i])];
        v.strides[i] = t.strides[size_t(order[i])];
    }
    v.inputMajor = false;
    return v;
}

Region regionToBase(const Region& viewRegion, const std::vector<int>& order) {
    Region out;
    for (const Box& b : viewRegion.boxes()) {
        Box base;
        base.start.assign(b.start.size(), 0);
        base.size.assign(b.size.size(), 0);
        for (size_t i = 0; i < order.size() && i < b.start.size(); ++i) {
            base.start[size_t(order[i])] = b.start[i];
            base.size[size_t(order[i])] = b.size[i];
        }
        out.addBox(base);
    }
    return out;
}

Region regionFromBase(const Region& baseRegion, const std::vector<int>& order) {
    Region out;
    for (const Box& b : baseRegion.boxes()) {
        Box view = b;
        for (size_t i = 0; i < order.size() && i < b.start.size(); ++i) {
            view.start[i] = b.start[size_t(order[i])];
            view.size[i] = b.size[size_t(order[i])];
        }
        out.addBox(view);
    }
    return out;
}

} // namespace ws
