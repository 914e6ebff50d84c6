package dev.rnn4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the rnn4j command line in-process, capturing its output and exit code. */
final class Cli {
    record Run(int code, String out, String err, CommandLine commandLine) {
        String all() {
            return out + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        PrintWriter o = new PrintWriter(out), e = new PrintWriter(err);
        CommandLine cl = Main.commandLine(o, e);
        int code = cl.execute(args);
        o.flush();
        e.flush();
        return new Run(code, out.toString(), err.toString(), cl);
    }

    private Cli() {}
}
