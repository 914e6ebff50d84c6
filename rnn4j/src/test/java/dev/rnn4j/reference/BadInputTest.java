package dev.rnn4j.reference;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.CellType;
import dev.rnn4j.RnnSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Misuse gets an {@link IllegalArgumentException} whose message names the argument. */
class BadInputTest {
    private final RnnSpec lstm = RnnSpec.builder(CellType.LSTM, 3, 4).layers(2).bidirectional(true).build();
    private final RnnSpec gru = RnnSpec.builder(CellType.GRU, 3, 4).build();
    private final Fixtures.Problem pr = new Fixtures.Problem(lstm, 3, 2, null, 1);
    private final ReferenceRnn rnn = new ReferenceRnn(lstm);

    private static void rejects(String argument, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(argument), "message should name " + argument + ": " + e.getMessage());
    }

    @Test
    void forwardRejectsWrongSizesAndLengths() {
        rejects("params", () -> rnn.forward(new double[pr.params.length - 1], pr.x, 3, 2, null, null, null));
        rejects("params", () -> rnn.forward(null, pr.x, 3, 2, null, null, null));
        rejects("x", () -> rnn.forward(pr.params, new double[pr.x.length + 1], 3, 2, null, null, null));
        rejects("x", () -> rnn.forward(pr.params, pr.x, 2, 2, null, null, null)); // T does not match x
        rejects("T", () -> rnn.forward(pr.params, pr.x, 0, 2, null, null, null));
        rejects("N", () -> rnn.forward(pr.params, pr.x, 3, -1, null, null, null));
        rejects("h0", () -> rnn.forward(pr.params, pr.x, 3, 2, null, new double[3], null));
        rejects("c0", () -> rnn.forward(pr.params, pr.x, 3, 2, null, null, new double[pr.c0.length + 4]));
        rejects("lengths", () -> rnn.forward(pr.params, pr.x, 3, 2, new int[] {3}, null, null));
        rejects("lengths[1]", () -> rnn.forward(pr.params, pr.x, 3, 2, new int[] {3, 0}, null, null));
        rejects("lengths[0]", () -> rnn.forward(pr.params, pr.x, 3, 2, new int[] {4, 1}, null, null));
        Fixtures.Problem g = new Fixtures.Problem(gru, 3, 2, null, 1);
        rejects("c0", () -> new ReferenceRnn(gru).forward(g.params, g.x, 3, 2, null, null, new double[2 * 4]));
    }

    @Test
    void backwardRejectsWrongSizesAndForeignTraces() {
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, 3, 2, null, pr.h0, pr.c0);
        rejects("params", () -> rnn.backward(new double[1], tr, pr.dy, null, null, null));
        rejects("dy", () -> rnn.backward(pr.params, tr, new double[pr.dy.length - 1], null, null, null));
        rejects("dhN", () -> rnn.backward(pr.params, tr, null, new double[1], null, null));
        rejects("dcN", () -> rnn.backward(pr.params, tr, null, null, new double[1], null));
        rejects("grads", () -> rnn.backward(pr.params, tr, null, null, null, new double[pr.params.length + 1]));
        rejects("trace", () -> rnn.backward(pr.params, null, null, null, null, null));
        Fixtures.Problem g = new Fixtures.Problem(gru, 3, 2, null, 1);
        ReferenceRnn gruRnn = new ReferenceRnn(gru);
        ReferenceRnn.Trace gruTrace = gruRnn.forward(g.params, g.x, 3, 2, null, null, null);
        rejects("trace", () -> rnn.backward(pr.params, gruTrace, null, null, null, null));
        rejects("dcN", () -> gruRnn.backward(g.params, gruTrace, null, null, new double[2 * 4], null));
    }
}
