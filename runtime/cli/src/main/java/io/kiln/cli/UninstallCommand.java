package io.kiln.cli;

import io.kiln.FileTrees;
import io.kiln.KilnException;
import io.kiln.runtime.EndpointLoader;
import io.kiln.runtime.PinLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "uninstall", mixinStandardHelpOptions = true,
        description = {"Remove everything Kiln made on this machine (root; stop the agent first).",
                "Every endpoint's links and tc filters (its programs stop), every pin under the pin root (node",
                "maps too) and the agent's state (endpoint state files, identities, API specs and token)."})
final class UninstallCommand implements Callable<Integer> {
    /** What the agent keeps in its state folder; nothing else there is touched. */
    private static final List<String> STATE = List.of("endpoints", "api", "identities.json", "api-token", "api.sock");

    @Option(names = "--pin-root", paramLabel = "DIR", description = "bpffs folder of Kiln's pins (default: /sys/fs/bpf/kiln).")
    Path pinRoot = PinLayout.DEFAULT_ROOT;

    @Option(names = "--state-dir", paramLabel = "DIR", description = "The agent's state folder (default: /run/kiln).")
    Path stateDir = ApiOptions.defaultStateDir();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        EndpointLoader d = EndpointLoader.builder().pinRoot(pinRoot).stateDir(stateDir.resolve("endpoints")).build();
        int endpoints = d.endpointIds().size();
        new io.kiln.runtime.PolicyChain(d).uninstall();
        d.uninstall();
        for (String name : STATE) {
            delete(stateDir.resolve(name));
        }
        out.printf("uninstalled: %d endpoint(s) detached, pins under %s and state under %s removed%n", endpoints,
                pinRoot, stateDir);
        out.flush();
        return 0;
    }

    private static void delete(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try {
            FileTrees.delete(p);
        } catch (IOException e) {
            throw new KilnException("uninstall: remove " + p + ": " + e.getMessage(), e);
        }
    }
}
