package dev.rnn4j.cli;

import picocli.CommandLine.Command;

/** Placeholder until the command is written. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "(not yet implemented)")
final class BenchCommand implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("bench: not implemented yet");
        return 1;
    }
}
