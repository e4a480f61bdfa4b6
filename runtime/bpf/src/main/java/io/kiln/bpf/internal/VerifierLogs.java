package io.kiln.bpf.internal;

import io.kiln.bpf.Errno;
import io.kiln.bpf.VerifierException;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Splits a verifier log, finds its reason line, and builds the short message of a {@link VerifierException}. */
public final class VerifierLogs {
    /** How many log lines the short message keeps. */
    public static final int TAIL_LINES = 20;

    /** The verifier's closing statistics, which come after the reason. */
    private static final Pattern STATISTICS = Pattern.compile(
            "^(processed \\d+ insns|verification time|stack depth|max_states_per_insn|-- END PROG LOAD LOG).*");

    private VerifierLogs() {
    }

    public static List<String> lines(String log) {
        List<String> out = new ArrayList<>();
        for (String line : log.split("\n", -1)) {
            out.add(line.stripTrailing());
        }
        while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
            out.remove(out.size() - 1);
        }
        return out;
    }

    /** The last line that is not blank and not a statistic: where the verifier says what is wrong. */
    public static String reason(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i).strip();
            if (!l.isEmpty() && !STATISTICS.matcher(l).matches()) {
                return l;
            }
        }
        return "the verifier log is empty";
    }

    /** True when the log says more than the verifier's closing statistics: it has a reason in it. */
    public static boolean hasFinding(String log) {
        return lines(log).stream().map(String::strip).anyMatch(l -> !l.isEmpty() && !STATISTICS.matcher(l).matches());
    }

    public static VerifierException exception(String context, String program, String log, int errno) {
        List<String> lines = lines(log);
        String reason = reason(lines);
        StringBuilder sb = new StringBuilder();
        sb.append(Failures.prefix(context)).append("program ").append(program)
                .append(": rejected by the verifier: ").append(reason);
        if (errno == Errno.ENOSPC) {
            sb.append("\n  (the log filled its buffer; the kernel kept its end)");
        } else if (errno != 0 && errno != 13 /* EACCES: the verifier's usual answer */) {
            sb.append(" [").append(Errno.describe(errno)).append("]");
        }
        int from = Math.max(0, lines.size() - TAIL_LINES);
        if (from > 0) {
            sb.append("\n  (").append(from).append(from == 1 ? " line" : " lines").append(" omitted)");
        }
        for (String line : lines.subList(from, lines.size())) {
            sb.append("\n  ").append(line);
        }
        return new VerifierException(sb.toString(), program, reason, lines, errno);
    }
}
