package io.kiln.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A state file is untrusted: a pin it names outside Kiln's pin root is refused, never opened or deleted. */
class StateTrustTest {
    @TempDir
    Path dir;

    private String state(String kind, String linkPin, String mapPin) {
        return """
                {"format": 1, "endpointId": 5, "interface": "lo", "namespace": "host", "ifindex": 1,
                 "template": "t", "objectDigest": "%s", "constantsDigest": "%s", "createdClsact": false,
                 "programs": [{"name": "ing", "hook": "tc-ingress", "kind": "%s", "programId": 1,
                               "linkPin": "%s", "tcHandle": 77, "tcPriority": 9}],
                 "mapPins": {"policy": "%s"}, "updated": "2026-01-01T00:00:00Z"}
                """.formatted("ab".repeat(32), "cd".repeat(32), kind, linkPin, mapPin);
    }

    @Test
    void detachRefusesAStateFileNamingAnotherRootsLink() throws Exception {
        // the dangerous case: a state file naming a live link pinned by someone else (here another Kiln root)
        try (EndpointLab lab = EndpointLab.create(dir.resolve("lab-state"))) {
            EndpointLoader owner = lab.loader(AttachMode.TCX);
            AttachedEndpoint attached = lab.closeLater(owner.attach(TestTemplates.gateObject(),
                    lab.endpoint(21, TestTemplates.gateConstants(0, 0, 21))));
            EndpointLoader other = EndpointLoader.builder().pinRoot(dir.resolve("other-pins"))
                    .stateDir(dir.resolve("other-state")).build();
            Files.createDirectories(other.stateDir());
            Files.copy(owner.stateFile(21), other.stateFile(21));

            EndpointException e = assertThrows(EndpointException.class, () -> other.detach(21));
            assertTrue(e.getMessage().startsWith("endpoint 21: state file " + other.stateFile(21)
                    + " is not a Kiln state file (program ks_ingress: linkPin " + lab.pinRoot
                    + "/endpoints/21/links/ks_ingress is not Kiln's pin for 'ks_ingress' (expected "
                    + dir.resolve("other-pins") + "/endpoints/21/links/ks_ingress)"), e.getMessage());
            assertTrue(attached.isIntact(), "the owner's hooks still run its programs: " + attached.status());
            assertTrue(lab.pins().contains("endpoints/21/links/ks_ingress"), lab.pins().toString());
            owner.detach(attached);
        }
    }

    @Test
    void everyPinMustBeWhereKilnPutsIt() throws Exception {
        Path pinRoot = dir.resolve("pins");
        EndpointLoader loader = EndpointLoader.builder().pinRoot(pinRoot).stateDir(dir.resolve("state")).build();
        Files.createDirectories(loader.stateDir());
        String link = pinRoot.resolve("endpoints/5/links/ing").toString();
        String map = pinRoot.resolve("endpoints/5/policy").toString();
        String[][] bad = {
                {"tcx", dir.resolve("victim").toString(), map, "program ing: linkPin " + dir.resolve("victim")
                        + " is not Kiln's pin for 'ing' (expected " + link + ")"},
                {"tcx", pinRoot.resolve("endpoints/5/links/../../../../victim").toString(), map, "linkPin"},
                {"tcx", link, "/etc/passwd", "mapPins.policy /etc/passwd is not Kiln's pin for 'policy' (expected "
                        + pinRoot.resolve("node/policy") + ")"},
                {"tcx", link, pinRoot.resolve("endpoints/6/policy").toString(), "mapPins.policy"},
        };
        for (String[] b : bad) {
            Files.writeString(loader.stateFile(5), state(b[0], b[1], b[2]));
            EndpointException e = assertThrows(EndpointException.class, () -> loader.adopt(5), b[1] + " " + b[2]);
            assertTrue(e.getMessage().contains(b[3]), e.getMessage());
        }
        // a program name that climbs out of links/ is refused as a name
        Files.writeString(loader.stateFile(5), state("tcx", link, map).replace("\"name\": \"ing\"",
                "\"name\": \"../../../x\""));
        assertTrue(assertThrows(EndpointException.class, () -> loader.adopt(5)).getMessage()
                .contains("name '../../../x' is not a plain file name"));
        // and a file for another endpoint is not this one's
        Files.writeString(loader.stateFile(6), state("tcx", link, map));
        assertTrue(assertThrows(EndpointException.class, () -> loader.adopt(6)).getMessage()
                .contains("it names endpoint 5"));
    }
}
