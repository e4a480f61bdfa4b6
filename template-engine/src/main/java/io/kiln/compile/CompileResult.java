package io.kiln.compile;

import java.time.Duration;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A successful compile: the ELF object, every header clang actually read (absolute, from its
 * depfile), the warnings it printed, the exact command and how long it took.
 */
public record CompileResult(byte[] object, List<Path> headers, List<Diagnostic> warnings, List<String> command,
                            Duration elapsed) {
    public CompileResult {
        object = object.clone();
        headers = List.copyOf(headers);
        warnings = List.copyOf(warnings);
        command = List.copyOf(command);
    }

    /** A copy: callers cannot change the bytes another holder of this result sees. */
    @Override
    public byte[] object() {
        return object.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompileResult r && Arrays.equals(object, r.object) && headers.equals(r.headers)
                && warnings.equals(r.warnings) && command.equals(r.command) && elapsed.equals(r.elapsed);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(object) + headers.hashCode();
    }

    @Override
    public String toString() {
        return "CompileResult[" + object.length + " bytes, " + headers.size() + " headers, " + warnings.size()
                + " warnings, " + elapsed.toMillis() + " ms]";
    }
}
