/**
 * The job's Kafka edge and Kafka tooling, Flink-free except for the connector schemas.
 *
 * <ul>
 *   <li>Schemas: {@link org.tocomstream.job.kafka.FrameDeserializationSchema} (a frames record
 *       whole), {@link org.tocomstream.job.kafka.LabelSerializationSchema} (key = stream id,
 *       value = label JSON), {@link org.tocomstream.job.kafka.DeadLetterSerializationSchema}
 *       (the original record plus an {@code error} header). The wire format is {@code
 *       src/docs/wire-format.md}.
 *   <li>{@link org.tocomstream.job.kafka.EmbeddedKafka}: a single-node KRaft broker in this JVM,
 *       for the local run and the integration tests.
 *   <li>{@link org.tocomstream.job.kafka.KafkaTopics}: create topics, read a broker setting,
 *       end offsets. {@link org.tocomstream.job.kafka.FramePublisher}: N streams at F fps in the
 *       wire format ({@code produce} and the synthetic cameras).
 * </ul>
 */
package org.tocomstream.job.kafka;
