package io.kiln.template;

import java.time.Duration;

/**
 * Bounds of one render, since templates are untrusted input: output characters, wall time, and the
 * stack of the thread that renders (which bounds macro and include nesting).
 */
public record RenderLimits(long maxOutputChars, Duration timeout, long stackBytes) {
    /** 16 Mi characters of output, 10 s, a 4 MiB stack. */
    public static final RenderLimits DEFAULT = new RenderLimits(16L << 20, Duration.ofSeconds(10), 4L << 20);
}
