package dev.rnn4j.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Pointer;
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
        // picocli passes Errors through; an OutOfMemoryError is a model or batch too large for this
        // machine, a usage error: one line, exit 2, and the JVM lives on (the allocation failed whole).
        cl.setExecutionStrategy(parseResult -> {
            try {
                return new CommandLine.RunLast().execute(parseResult);
            } catch (OutOfMemoryError oom) {
                CommandLine sub = parseResult.asCommandLineList().get(parseResult.asCommandLineList().size() - 1);
                sub.getOut().flush();
                PrintWriter e = sub.getErr();
                e.println("rnn4j " + sub.getCommandName() + ": " + notEnoughMemory(oom));
                if (Boolean.getBoolean("rnn4j.debug")) oom.printStackTrace(e);
                e.flush();
                return CommandLine.ExitCode.USAGE;
            }
        });
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

    /**
     * One sentence: what could not be allocated (JavaCPP and rnn4j name the bytes in the message)
     * and what this machine and JVM have, with the options that shrink the need.
     */
    static String notEnoughMemory(OutOfMemoryError oom) {
        String what = String.valueOf(oom.getMessage());
        Matcher m = Pattern.compile("\\((\\d{4,})\\)|of (\\d{4,}) bytes").matcher(what);
        String need = m.find() ? "they need at least " + Text.bytes(Long.parseLong(m.group(1) != null ? m.group(1) : m.group(2)))
                + " (an allocation of that size failed)" : "an allocation failed (" + firstClause(what) + ")";
        return "not enough memory for this model and batch: " + need + "; this machine has "
                + Text.bytes(Pointer.availablePhysicalBytes()) + " of physical memory free and the JVM"
                + " heap may grow to " + Text.bytes(Runtime.getRuntime().maxMemory())
                + ". Use smaller sizes (--hidden, --layers, --batch, --seq-length or --shape).";
    }

    private static String firstClause(String message) {
        int cut = message.indexOf(':');
        return cut > 0 ? message.substring(0, cut) : message;
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
