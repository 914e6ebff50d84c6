package dev.rnn4j.cli;

import picocli.CommandLine.Command;

/** Placeholder until the command is written. */
@Command(name = "check", mixinStandardHelpOptions = true, description = "(not yet implemented)")
final class CheckCommand implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("check: not implemented yet");
        return 1;
    }
}
