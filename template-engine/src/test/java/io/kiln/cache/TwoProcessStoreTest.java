package io.kiln.cache;

import io.kiln.compile.ClangCompiler;
import io.kiln.compile.TestSources;
import io.kiln.template.TemplateDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two JVMs (this one and children) compile the same variants into one store at the same time. */
class TwoProcessStoreTest {
    private static final List<Integer> VARIANTS = List.of(1, 2, 3, 4, 5);
    private static final int CHILDREN = 2;

    @Test
    void concurrentProcessesShareOneStore(@TempDir Path base) throws Exception {
        TemplateDescriptor template = TestSources.layout(base);
        Path storeDir = base.resolve("store");
        Path go = base.resolve("go");

        List<Process> children = new ArrayList<>();
        List<Path> outputs = new ArrayList<>();
        try {
            for (int c = 0; c < CHILDREN; c++) {
                Path output = base.resolve("child-" + c + ".out");
                outputs.add(output);
                children.add(startChild(base, storeDir, base.resolve("ready-" + c), go, output));
            }
            waitForReady(base, children);
            Files.createFile(go);

            ObjectStore store = new ObjectStore(storeDir, 64L << 20);
            ObjectCache cache = new ObjectCache(new ClangCompiler(TestSources.clang(), Duration.ofSeconds(120)), store);
            Map<Integer, CompiledObject> mine = new HashMap<>();
            for (int variant : VARIANTS) {
                mine.put(variant, cache.get(TestSources.source(template, variant)).object());
            }

            for (int c = 0; c < CHILDREN; c++) {
                Process child = children.get(c);
                assertTrue(child.waitFor(180, TimeUnit.SECONDS), "child " + c + " finished");
                String out = Files.readString(outputs.get(c), StandardCharsets.UTF_8);
                assertEquals(0, child.exitValue(), "child " + c + " output:\n" + out);
                for (int variant : VARIANTS) {
                    assertTrue(out.contains("ok " + variant + " " + mine.get(variant).key().hex()),
                            "child " + c + " computed the same key for variant " + variant + ":\n" + out);
                }
            }
            for (CompiledObject object : mine.values()) {
                StoredObject stored = store.read(object.key()).orElseThrow();
                assertArrayEquals(object.bytes(), stored.bytes(), "stored object of " + object.key().shortForm());
            }
            assertEquals(0, store.corruptObjectsDetected());
        } finally {
            children.forEach(Process::destroyForcibly);
        }
    }

    private static Process startChild(Path base, Path storeDir, Path ready, Path go, Path output) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                StoreWriterMain.class.getName(), base.toString(), storeDir.toString(), ready.toString(), go.toString()));
        VARIANTS.forEach(v -> command.add(v.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    private static void waitForReady(Path base, List<Process> children) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        for (int c = 0; c < children.size(); c++) {
            while (!Files.exists(base.resolve("ready-" + c))) {
                assertTrue(children.get(c).isAlive(), "child " + c + " died before it was ready");
                assertTrue(System.nanoTime() < deadline, "child " + c + " not ready within 120 s");
                Thread.sleep(10);
            }
        }
    }
}
