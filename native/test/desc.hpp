// A network description for the native tests, every option field at its default.
#pragma once

#include "rnn4j/rnn4j.h"

inline rnn4j_desc mk(int cell, int I, int H, int L = 1, int bi = 0, int bias = 1, int P = 0, int bf = 0) {
    rnn4j_desc d{};  // zeroed: the option fields after batch_first keep their defaults
    d.cell = cell;
    d.input_size = I;
    d.hidden_size = H;
    d.proj_size = P;
    d.num_layers = L;
    d.bidirectional = bi;
    d.bias = bias;
    d.batch_first = bf;
    return d;
}
