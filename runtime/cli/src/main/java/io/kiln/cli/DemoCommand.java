package io.kiln.cli;

import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.demo.LiveDemo;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The live dataplane, in under a minute (needs root):",
                "creates a node namespace and three endpoint namespaces (client, web, db) joined by veths"
                        + " (198.18.0.0/24),",
                "starts the agent in this process on a temporary spec directory, writes endpoint and policy specs,",
                "sends real TCP and UDP that the policy allows and denies and shows the per-reason counters,",
                "changes a policy live (a map write: same program ids), a constant live (a hot swap under a"
                        + " numbered UDP flow: nothing lost),",
                "and a build parameter (a new variant, one clang run for two endpoints), shows the cache and"
                        + " regeneration figures,",
                "then removes everything it made, also on failure and on Ctrl-C."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Integer notRoot = BenchRuntimeOptions.requireRoot("demo", err);
        if (notRoot != null) {
            err.println("kiln: without root, `kiln bench compile` shows the object cache at work");
            err.flush();
            return notRoot;
        }
        TemplateCatalog catalog = TemplateCatalog.scan(List.of(KilnHome.endpointTemplate().getParent()));
        LiveDemo.Report report = LiveDemo.run(spec.commandLine().getOut(), catalog);
        return report.surprises().isEmpty() && report.cleanupFailures().isEmpty() ? 0 : Main.EXIT_FAILED;
    }
}
