package dev.rnn4j.cli;

import dev.rnn4j.Backend;
import picocli.CommandLine.IVersionProvider;

/** {@code rnn4j --version}: the Java library's version and, if it loads, the native library's. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"rnn4j " + javaVersion(), "native: " + nativeVersion(),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch")};
    }

    /** The version in the jar's manifest, or in the Maven metadata, or "(development build)". */
    static String javaVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        if (v != null) return v;
        try (var in = Main.class.getResourceAsStream("/META-INF/maven/dev.rnn4j/rnn4j/pom.properties")) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                if (p.getProperty("version") != null) return p.getProperty("version");
            }
        } catch (java.io.IOException ignored) {
            // fall through
        }
        return "(development build, not from the jar)";
    }

    /** librnn4j's version if the CPU backend loads, else why not. */
    static String nativeVersion() {
        if (!Backend.CPU.isAvailable()) return "not loaded (" + Backend.CPU.unavailableReason() + ")";
        try {
            return "librnn4j " + dev.rnn4j.cpu.Rnn4jCpu.rnn4j_version();
        } catch (Throwable t) {
            return "unknown (" + t + ")";
        }
    }
}
