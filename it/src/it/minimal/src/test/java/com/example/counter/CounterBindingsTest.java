package com.example.counter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kiln.bpf.BpfMap;
import io.kiln.bpf.BpfObject;
import io.kiln.bundle.Bundle;
import io.kiln.bundle.BundledTemplate;
import io.kiln.bundle.BundledVariant;
import io.kiln.testing.KernelRequirements;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The generated bindings as a template's own tests use them, against the bundle this build made. */
class CounterBindingsTest {

    private static Bundle bundle() {
        List<Bundle> bundles = Bundle.onClassPath(CounterBindingsTest.class.getClassLoader());
        assertEquals(1, bundles.size(), bundles.toString());
        return bundles.get(0);
    }

    @Test
    void constantsEncodeAsTheRuntimeSetsThem() {
        CounterBpf.Constants c = CounterBpf.Constants.builder().endpointId(12).blockedPort(53).self("198.18.0.12")
                .build();
        Map<String, byte[]> bytes = c.encode();
        assertArrayEquals(new byte[] {12, 0}, bytes.get("ENDPOINT_ID"));
        assertArrayEquals(new byte[] {53, 0}, bytes.get("BLOCKED_PORT"));
        assertArrayEquals(new byte[] {(byte) 198, 18, 0, 12}, bytes.get("SELF"));
        assertThrows(IllegalArgumentException.class, () -> CounterBpf.Constants.builder().endpointId(1 << 16).build());
    }

    @Test
    void aFlowKeyIsLaidOutAsTheObjectDeclaresIt() {
        CounterBpf.FlowsMap.Key key = new CounterBpf.FlowsMap.Key(0xC612000CL, 53, 17, 0);
        assertArrayEquals(new byte[] {(byte) 0xc6, 0x12, 0, 0x0c, 0, 53, 17, 0}, key.toBytes());
        assertEquals(8, CounterBpf.FlowsMap.KEY_SIZE);
        assertEquals(16, CounterBpf.FlowsMap.VALUE_SIZE);
    }

    @Test
    void theJarIsABundleWithEveryVariantOfTheMatrix() {
        BundledTemplate t = bundle().index().template(CounterBpf.TEMPLATE).orElseThrow();
        assertEquals(2, t.variants().size());
        for (BundledVariant v : t.variants()) {
            assertEquals(v.size(), bundle().object(v).length);
            assertEquals(CounterBpf.Programs.COUNT, v.programs().get(0).name());
        }
    }

    @Test
    void theBindingsDriveARealLoad() {
        KernelRequirements.assumeKernel();
        BundledVariant v = bundle().index().template("counter").orElseThrow().variant(Map.of("dropPort", true))
                .orElseThrow();
        try (BpfObject object = BpfObject.open(bundle().object(v), "counter")) {
            CounterBpf.Constants.builder().endpointId(7).blockedPort(53).build().encode().forEach(object::setConstant);
            object.load();
            BpfMap flows = object.map(CounterBpf.Maps.FLOWS);
            CounterBpf.FlowsMap.Key key = new CounterBpf.FlowsMap.Key(0xC6120001L, 53, 17, 0);
            flows.update(key.toBytes(), new CounterBpf.FlowsMap.Value(3, 300).toBytes());
            CounterBpf.FlowsMap.Value read = CounterBpf.FlowsMap.Value.fromBytes(flows.lookup(key.toBytes()).orElseThrow());
            assertEquals(new CounterBpf.FlowsMap.Value(3, 300), read);
            assertArrayEquals(new byte[] {7, 0}, object.constantValue("ENDPOINT_ID"));
        }
    }
}
