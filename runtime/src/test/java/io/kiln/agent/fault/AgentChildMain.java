package io.kiln.agent.fault;

import io.kiln.agent.Agent;
import io.kiln.agent.dataplane.KernelDataplane;
import io.kiln.agent.dataplane.ObjectSources;
import io.kiln.agent.reconcile.ReconcilerOptions;
import io.kiln.agent.spec.TemplateCatalog;
import io.kiln.build.VariantBuilder;
import io.kiln.cache.ObjectCache;
import io.kiln.cache.ObjectStore;
import io.kiln.compile.Clang;
import io.kiln.compile.ClangCompiler;
import io.kiln.template.Renderer;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * An agent process for the fault tests: {@code SPEC_DIR STATE_DIR PIN_ROOT STORE_DIR TEMPLATES API_PORT}.
 * Runs until killed.
 */
public final class AgentChildMain {
    private AgentChildMain() {
    }

    public static void main(String[] args) throws Exception {
        Path specs = Path.of(args[0]);
        Path state = Path.of(args[1]);
        VariantBuilder builder = new VariantBuilder(new Renderer(), new ObjectCache(
                new ClangCompiler(Clang.locate(null), Duration.ofMinutes(2)), new ObjectStore(Path.of(args[3]), 1L << 30)));
        KernelDataplane kernel = KernelDataplane.builder().pinRoot(Path.of(args[2])).stateDirectory(state)
                .objects(ObjectSources.builder().compiler(builder).build()).build();
        Agent agent = Agent.builder().catalog(TemplateCatalog.scan(List.of(Path.of(args[4])))).dataplane(kernel)
                .stateDirectory(state).specDirectory(specs, Duration.ofSeconds(10)).apiPort(Integer.parseInt(args[5]))
                .reconcilerOptions(ReconcilerOptions.defaults().withBackoff(Duration.ofMillis(100), Duration.ofSeconds(2)))
                .metrics(kernel.metrics()).build();
        agent.start();
        System.out.println("agent started");
        System.out.flush();
        Thread.currentThread().join();
    }
}
