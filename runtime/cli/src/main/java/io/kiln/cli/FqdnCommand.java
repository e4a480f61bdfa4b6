package io.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "fqdn", mixinStandardHelpOptions = true,
        description = {"Names learned from DNS answers for toFQDNs rules (docs/agent.md, \"DNS-aware policy\")."},
        subcommands = {FqdnCommand.ListCommand.class})
final class FqdnCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the learned entries (GET /v1/fqdn): endpoint, name, address, TTL left and the"
                    + " rules (policy: selector) each feeds, then the learner's figures: held answers re-delivered,"
                    + " the latency Kiln added to them (p50/p99 of the last 4096), the fail mode.",
                    "--json prints the agent's JSON as it is, with the dataplane's counters (dns_stats)."})
    static final class ListCommand implements Callable<Integer> {
        private static final ObjectMapper JSON = new ObjectMapper();

        @Mixin
        ApiOptions api;

        @Option(names = "--endpoint", paramLabel = "ID", description = "Only this endpoint's entries.")
        Integer endpoint;

        @Option(names = "--json", description = "The agent's JSON instead of the table.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (endpoint != null && (endpoint < 1 || endpoint > 65535)) {
                throw new UsageException("--endpoint", "--endpoint " + endpoint + ": expected an endpoint id 1..65535");
            }
            PrintWriter out = spec.commandLine().getOut();
            String body = api.client().fqdn(endpoint);
            if (json) {
                out.print(body);
                out.flush();
                return 0;
            }
            JsonNode root = JSON.readTree(body);
            out.printf("%-8s %-40s %-40s %-8s %s%n", "ENDPOINT", "NAME", "ADDRESS", "TTL", "RULES");
            for (JsonNode e : root.path("entries")) {
                List<String> rules = new ArrayList<>();
                e.path("rules").forEach(r -> rules.add(r.asText()));
                out.printf("%-8d %-40s %-40s %-8s %s%n", e.path("endpoint").asInt(), e.path("name").asText(),
                        e.path("address").asText(), e.path("ttlRemainingSeconds").asLong() + "s",
                        rules.isEmpty() ? "-" : String.join("; ", rules));
            }
            JsonNode s = root.path("stats");
            out.printf("%d entries; %d answers re-delivered, added latency p50 %s us, p99 %s us; fail mode %s%n",
                    s.path("entries").asLong(), s.path("redelivered").asLong(),
                    s.has("latencyMicrosP50") ? s.path("latencyMicrosP50").asText() : "-",
                    s.has("latencyMicrosP99") ? s.path("latencyMicrosP99").asText() : "-", s.path("failMode").asText());
            out.flush();
            return 0;
        }
    }
}
