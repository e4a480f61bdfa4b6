package io.kiln.compile;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Result of the preprocessor-only dependency pass: every header the source includes (absolute). */
public record DependencyScan(List<Path> headers, List<String> command, Duration elapsed) {
    public DependencyScan {
        headers = List.copyOf(headers);
        command = List.copyOf(command);
    }
}
