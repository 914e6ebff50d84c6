package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The flat layout is PyTorch's: names, shapes, order and counts of {@code named_parameters()}. */
class ParameterLayoutTest {

    @Test
    void lstmTwoLayersMatchesPyTorchCount() {
        // sum(p.numel() for p in torch.nn.LSTM(10, 20, 2).parameters()) == 5920
        assertEquals(5920, RnnSpec.builder(CellType.LSTM, 10, 20).layers(2).build().parameterCount());
        // torch.nn.GRU(8, 16, bidirectional=True): 2 * (48*8 + 48*16 + 48 + 48) = 2496
        assertEquals(2496, RnnSpec.builder(CellType.GRU, 8, 16).bidirectional(true).build().parameterCount());
        // torch.nn.RNN(5, 7, bias=False): 7*5 + 7*7 = 84
        assertEquals(84, RnnSpec.builder(CellType.RNN_RELU, 5, 7).bias(false).build().parameterCount());
    }

    @Test
    void namesAndOrderFollowNamedParameters() {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 4).layers(2).bidirectional(true).projectionSize(2).build();
        List<String> names = spec.parameterLayout().entries().stream().map(ParameterLayout.Entry::name)
                .collect(Collectors.toList());
        assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
                "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                "weight_hr_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
                "weight_hr_l1_reverse"), names);
        ParameterLayout layout = spec.parameterLayout();
        assertArrayEquals(new int[] {16, 3}, layout.entry("weight_ih_l0").shape());
        assertArrayEquals(new int[] {16, 2}, layout.entry("weight_hh_l0").shape());
        assertArrayEquals(new int[] {16}, layout.entry("bias_hh_l1").shape());
        assertArrayEquals(new int[] {2, 4}, layout.entry("weight_hr_l1_reverse").shape());
        assertArrayEquals(new int[] {16, 4}, layout.entry("weight_ih_l1").shape(), "I_1 = D * P = 4");
        int offset = 0;
        for (ParameterLayout.Entry e : layout.entries()) {
            assertEquals(offset, e.offset(), e.name());
            offset += e.size();
        }
        assertEquals(spec.parameterCount(), offset);
    }
}
