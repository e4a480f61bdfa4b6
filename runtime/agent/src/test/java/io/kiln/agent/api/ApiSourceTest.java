package io.kiln.agent.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kiln.agent.source.SourceSnapshot;
import io.kiln.agent.spec.PolicySpec;
import io.kiln.agent.spec.SpecKind;
import io.kiln.agent.spec.SpecReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API's specs: in effect first, stored before the answer, and never in effect unless stored. */
class ApiSourceTest {
    private final List<SourceSnapshot> sent = new ArrayList<>();

    private static PolicySpec policy(int port) {
        return (PolicySpec) SpecReader.read(SpecKind.POLICY, ApiSource.NAME, "name: web\nendpointSelector: {}\n"
                + "ingress:\n  - fromEntities: [all]\n    toPorts: [{port: " + port + ", protocol: TCP}]\n");
    }

    private static boolean same(io.kiln.agent.spec.Spec a, io.kiln.agent.spec.Spec b) {
        return io.kiln.agent.spec.SpecJson.text(a).equals(io.kiln.agent.spec.SpecJson.text(b));
    }

    @Test
    void aSpecIsSentAndStored(@TempDir Path dir) throws Exception {
        ApiSource api = new ApiSource(dir, sent::add);
        api.start();
        api.put(policy(80));
        assertEquals(2, sent.size());
        assertTrue(same(sent.get(1).policies().get(0), policy(80)));
        assertTrue(Files.readString(dir.resolve("policies/web.json")).contains("80"));
    }

    @Test
    void aSpecThatCannotBeStoredIsTakenBackOutOfEffect(@TempDir Path dir) throws Exception {
        ApiSource api = new ApiSource(dir, sent::add);
        api.start();
        api.put(policy(80));
        // the kind's folder replaced by a file: the next store fails
        Path folder = dir.resolve("policies");
        Files.delete(folder.resolve("web.json"));
        Files.delete(folder);
        Files.writeString(folder, "not a folder");
        assertThrows(UncheckedIOException.class, () -> api.put(policy(443)));
        SourceSnapshot last = sent.get(sent.size() - 1);
        assertEquals(1, last.policies().size());
        assertTrue(same(last.policies().get(0), policy(80)), "the stored rule is back in effect");
        assertTrue(same(api.get(SpecKind.POLICY, "web").orElseThrow(), policy(80)));

        Files.delete(folder);
        ApiSource fresh = new ApiSource(dir, sent::add);
        fresh.start();
        assertThrows(UncheckedIOException.class, () -> {
            Files.writeString(folder, "not a folder");
            fresh.put(policy(8080));
        });
        assertTrue(sent.get(sent.size() - 1).policies().isEmpty(), "a new spec that cannot be stored is not in effect");
    }
}
