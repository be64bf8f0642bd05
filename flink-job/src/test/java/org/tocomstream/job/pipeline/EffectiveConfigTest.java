package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class EffectiveConfigTest {

    private static String printed(Map<String, String> properties) {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.KAFKA_PROPERTIES, properties);
        return EffectiveConfig.describe(c, List.of(StreamJobOptions.KAFKA_PROPERTIES));
    }

    @Test
    void credentialsOfEveryKindAreMasked() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ssl.keystore.key", "PEMKEY1");
        p.put("ssl.truststore.certificates", "PEMCERT2");
        p.put("ssl.keystore.certificate.chain", "PEMCHAIN3");
        p.put("ssl.key.password", "PW4");
        p.put("sasl.client.callback.handler.class", "com.acme.Handler5");
        p.put("sasl.oauthbearer.token", "TOKEN6");
        p.put("sasl.oauthbearer.client.credentials.client.id", "CRED7");
        p.put("sasl.oauthbearer.assertion.private.key.passphrase", "PASS8");
        p.put("api-key", "APIKEY9");
        p.put("custom.value", "-----BEGIN PRIVATE KEY-----10");

        String table = printed(p);

        assertThat(table).contains("ssl.keystore.key:****", "ssl.truststore.certificates:****", "api-key:****");
        assertThat(table).doesNotContain("PEM", "PW", "TOKEN", "CRED", "PASS", "APIKEY", "BEGIN", "Handler");
    }

    @Test
    void harmlessKeysStayReadable() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
        p.put("ssl.keystore.location", "/etc/ks.jks");
        p.put("ssl.keystore.type", "PEM");
        p.put("ssl.keymanager.algorithm", "SunX509");
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "PLAIN");

        String table = printed(p);

        assertThat(table)
                .contains(
                        "key.serializer:org.apache.kafka.common.serialization.ByteArraySerializer",
                        "ssl.keystore.location:/etc/ks.jks",
                        "ssl.keystore.type:PEM",
                        "ssl.keymanager.algorithm:SunX509",
                        "security.protocol:SASL_SSL",
                        "sasl.mechanism:PLAIN")
                .doesNotContain("****");
    }
}
