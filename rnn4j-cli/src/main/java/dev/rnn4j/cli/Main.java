package dev.rnn4j.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code rnn4j} command: {@code info}, {@code check}, {@code bench}, {@code demo} and {@code sample}. Exit codes:
 * 0 success, 1 a check failed or the run failed, 2 bad usage (unknown option, bad value, unusable
 * input file), with a message and the usage on stderr.
 */
@Command(name = "rnn4j", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Fast RNN kernels (RNN tanh/relu, LSTM, GRU; forward and BPTT) for the JVM: show the backends (info), check them against the Java reference (check), time them (bench), train a model with them (demo) and sample from a saved one (sample).", ""},
        subcommands = {InfoCommand.class, CheckCommand.class, BenchCommand.class, DemoCommand.class, SampleCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Run 'rnn4j COMMAND --help' for the options of a command."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:a check failed, or the run failed", "2:bad usage (unknown option, bad value, unusable file)"})
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: choose one of info, check, bench, demo, sample");
    }

    /** A configured command line writing to the given streams (tests pass their own). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(100);
        cl.setUsageHelpAutoWidth(true);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter e = commandLine.getErr();
            if (ex instanceof UsageError) {
                e.println("rnn4j " + commandLine.getCommandName() + ": " + ex.getMessage());
                e.println();
                commandLine.usage(e);
                e.flush();
                return CommandLine.ExitCode.USAGE;
            }
            commandLine.getOut().flush();
            e.println("rnn4j " + commandLine.getCommandName() + " failed: " + ex);
            if (Boolean.getBoolean("rnn4j.debug")) ex.printStackTrace(e);
            else e.println("(run with -Drnn4j.debug=true, e.g. JAVA_OPTS=-Drnn4j.debug=true, for the stack trace)");
            e.flush();
            return CommandLine.ExitCode.SOFTWARE;
        });
        return cl;
    }

    /** Runs the command line and returns its exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        int code = commandLine(out, err).execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Held so the level set in {@link #main} sticks (loggers are weakly referenced). */
    private static final java.util.logging.Logger LIBRARY_LOG = java.util.logging.Logger.getLogger("dev.rnn4j");

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        // The commands say which backend they use; the library's INFO line would only repeat it.
        LIBRARY_LOG.setLevel(java.util.logging.Level.WARNING);
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(execute(out, err, args));
    }

    /** A user error found while running (for example an unusable input file): message, usage, exit 2. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message);
        }
    }
}
