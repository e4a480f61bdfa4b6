package io.kiln.dataplane;

import static io.kiln.dataplane.Fixture.EP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kiln.bpf.RodataConstant;
import io.kiln.template.Constants;
import io.kiln.template.Templates;
import io.kiln.templates.EndpointBpf.EndpointConfigsMap;
import io.kiln.testing.TemplateUnderTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The runtime writes tier 0's {@code endpoint_configs} entry without knowing the template: the
 * endpoint's encoded constants at their {@code .rodata} offsets (io.kiln.runtime.Tier0). That is
 * right only while {@code struct endpoint_config} mirrors {@code .rodata}, field by field.
 */
class Tier0ConfigImageTest {
    private static final Map<String, Integer> FIELD_OFFSETS = Map.of(
            "ENDPOINT_ID", EndpointConfigsMap.Value.OFFSET_ENDPOINT_ID,
            "IDENTITY", EndpointConfigsMap.Value.OFFSET_IDENTITY,
            "ENDPOINT_IPV4", EndpointConfigsMap.Value.OFFSET_IPV4,
            "ENDPOINT_IPV6", EndpointConfigsMap.Value.OFFSET_IPV6,
            "ENDPOINT_MAC", EndpointConfigsMap.Value.OFFSET_MAC,
            "NODE_MAC", EndpointConfigsMap.Value.OFFSET_NODE_MAC,
            "ENDPOINT_IFINDEX", EndpointConfigsMap.Value.OFFSET_IFINDEX,
            "GATEWAY_IPV4", EndpointConfigsMap.Value.OFFSET_GATEWAY_IPV4);

    @Test
    void theConfigValueIsTheRodataImage() {
        try (TemplateUnderTest t = Fixture.endpoint("configSource", "node").load()) {
            byte[] image = new byte[EndpointConfigsMap.VALUE_SIZE];
            Map<String, byte[]> encoded = Constants.encodeAll(Templates.load(Fixture.ENDPOINT), EP.constants());
            int rodataEnd = 0;
            for (RodataConstant c : t.object().constants()) {
                assertEquals(FIELD_OFFSETS.get(c.name()), c.offset(), c.name() + ": .rodata offset vs endpoint_config field");
                System.arraycopy(encoded.get(c.name()), 0, image, c.offset(), c.size());
                rodataEnd = Math.max(rodataEnd, c.offset() + c.size());
            }
            assertEquals(FIELD_OFFSETS.size(), t.object().constants().size());
            assertEquals(EndpointConfigsMap.VALUE_SIZE, rodataEnd);
            assertArrayEquals(EndpointMaps.endpointConfig(EP), image);
        }
    }
}
