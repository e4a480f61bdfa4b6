package io.kiln.agent.api;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Prometheus' text exposition format, version 0.0.4. */
public final class PrometheusText {
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusText() {
    }

    public static String write(List<MetricFamily> families) {
        StringBuilder b = new StringBuilder();
        for (MetricFamily f : families) {
            b.append("# HELP ").append(f.name()).append(' ').append(escapeHelp(f.help())).append('\n');
            b.append("# TYPE ").append(f.name()).append(' ').append(f.type().text()).append('\n');
            for (MetricFamily.Sample s : f.samples()) {
                b.append(f.name()).append(s.suffix());
                if (!s.labels().isEmpty()) {
                    b.append(s.labels().entrySet().stream().map(PrometheusText::label)
                            .collect(Collectors.joining(",", "{", "}")));
                }
                b.append(' ').append(number(s.value())).append('\n');
            }
        }
        return b.toString();
    }

    private static String label(Map.Entry<String, String> e) {
        return e.getKey() + "=\"" + e.getValue().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    private static String escapeHelp(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String number(double v) {
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}
