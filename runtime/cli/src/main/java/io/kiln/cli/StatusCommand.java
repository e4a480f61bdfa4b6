package io.kiln.cli;

import io.kiln.agent.api.AgentStatus;
import io.kiln.agent.api.EndpointStatus;
import io.kiln.agent.spec.SpecError;
import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show the agent's endpoints: ready or not and why, tier (0: the node-wide generic program, 1: its",
                "specialized program), program ids, variant, last regeneration.",
                "The reason of a not-ready endpoint is a spec error, the template's file:line with clang's",
                "diagnostic, or the verifier log's tail; then the specs the agent could not use.",
                "With DNS learning (kiln agent --dns-learning): how many names the agent learned from DNS answers",
                "and the first " + StatusCommand.FQDN_SHOWN + " (endpoint, name, address, TTL left, the rules they feed);"
                        + " kiln fqdn list shows them all."})
final class StatusCommand implements Callable<Integer> {
    static final int FQDN_SHOWN = 5;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    @Mixin
    ApiOptions api;

    @Option(names = "--json", description = "The agent's status as JSON (GET /v1/status).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(api.client().statusJson().strip());
            out.flush();
            return 0;
        }
        print(api.client().status(), out);
        api.client().fqdnSummary(FQDN_SHOWN).ifPresent(body -> printFqdn(body, out));
        out.flush();
        return 0;
    }

    /** The learned names in a few lines: how many, the first {@link #FQDN_SHOWN}, where the rest are. */
    static void printFqdn(String body, PrintWriter out) {
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (java.io.IOException e) {
            throw new io.kiln.agent.api.AgentApiException("the agent's /v1/fqdn is not JSON: " + e.getMessage(), e);
        }
        com.fasterxml.jackson.databind.JsonNode s = root.path("stats");
        long total = s.path("entries").asLong();
        out.printf("learned names: %d entr%s (%d refused by a bound), %d answers re-delivered, added latency p99 %s us,"
                        + " fail mode %s%s%n", total, total == 1 ? "y" : "ies", s.path("refused").asLong(),
                s.path("redelivered").asLong(), s.has("latencyMicrosP99") ? s.path("latencyMicrosP99").asText() : "-",
                s.path("failMode").asText("-"), s.path("reading").asBoolean() ? "" : " (not reading the dataplane yet)");
        int shown = 0;
        for (com.fasterxml.jackson.databind.JsonNode e : root.path("entries")) {
            java.util.List<String> rules = new java.util.ArrayList<>();
            e.path("rules").forEach(r -> rules.add(r.asText()));
            out.printf("  endpoint %-5d %-32s %-24s ttl %-7s %s%n", e.path("endpoint").asInt(), e.path("name").asText(),
                    e.path("address").asText(), e.path("ttlRemainingSeconds").asLong() + "s",
                    rules.isEmpty() ? "-" : String.join("; ", rules));
            shown++;
        }
        if (total > shown) {
            out.printf("  ... %d more: kiln fqdn list%n", total - shown);
        }
    }

    static void print(AgentStatus st, PrintWriter out) {
        out.printf("agent: %s, %d/%d endpoints ready, node maps %s%s%n", st.synced() ? "synced" : "waiting for its sources",
                st.ready(), st.total(), word(st.node()), st.nodeReason() == null ? "" : ": " + st.nodeReason());
        if (!st.endpoints().isEmpty()) {
            out.printf("%-6s %-10s %-4s %-15s %-10s %-9s %-36s %-13s %-10s %-19s %s%n", "ID", "STATE", "TIER", "INTERFACE",
                    "TEMPLATE", "IDENTITY", "PROGRAMS", "VARIANT", "LAST", "AT", "TOOK");
        }
        for (EndpointStatus e : st.endpoints()) {
            String programs = new java.util.TreeMap<>(e.programIds()).entrySet().stream().map(p -> p.getKey() + "=" + p.getValue())
                    .collect(Collectors.joining(" "));
            out.printf("%-6d %-10s %-4s %-15s %-10s %-9s %-36s %-13s %-10s %-19s %s%n", e.id(), word(e.state()),
                    e.tier() == null ? "-" : e.tier().toString(), dash(e.interfaceName()), dash(e.template()), e.identity() == null ? "-" : e.identity().toString(),
                    programs.isEmpty() ? "-" : programs, e.variantKey() == null ? "-" : e.variantKey().substring(0,
                            Math.min(12, e.variantKey().length())), dash(e.lastChange()),
                    e.lastRegeneration() == null ? "-" : TIME.format(e.lastRegeneration()),
                    e.lastRegenerationMillis() == null ? "-" : e.lastRegenerationMillis() + " ms");
            if (e.pendingMove() != null) {
                out.println("       hooks on " + e.hooks() + ", move " + e.pendingMove());
            }
            if (e.reason() != null) {
                e.reason().lines().forEach(l -> out.println("       " + l));
                if (e.nextRetry() != null) {
                    out.println("       (" + e.failures() + " failed attempt(s); next at " + TIME.format(e.nextRetry()) + ")");
                }
            }
        }
        if (!st.errors().isEmpty()) {
            out.println("specs not in effect:");
            for (SpecError err : st.errors()) {
                out.println("  " + err.message() + (err.previousKept() ? " (its previous version stays in effect)" : ""));
            }
        }
    }

    private static String word(EndpointStatus.State s) {
        return s.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
