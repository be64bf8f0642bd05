#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Runs a Kafka command-line tool from the jars of deploy/kafka-lib (the distribution's
# bin/kafka-*.sh scripts, without the distribution). Arguments after the tool name go to the tool.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<USAGE
usage: kafka-tool.sh TOOL [ARGS...]

TOOL is one of
  topics            kafka-topics.sh           (org.apache.kafka.tools.TopicCommand)
  console-consumer  kafka-console-consumer.sh (org.apache.kafka.tools.consumer.ConsoleConsumer)
  console-producer  kafka-console-producer.sh (org.apache.kafka.tools.ConsoleProducer)
  consumer-groups   kafka-consumer-groups.sh  (org.apache.kafka.tools.consumer.group.ConsumerGroupCommand)
  transactions      kafka-transactions.sh     (org.apache.kafka.tools.TransactionsCommand)
  get-offsets       kafka-get-offsets.sh      (org.apache.kafka.tools.GetOffsetShell)

examples:
  kafka-tool.sh topics --bootstrap-server 127.0.0.1:9092 --create --topic frames --partitions 4
  kafka-tool.sh console-consumer --bootstrap-server 127.0.0.1:9092 --topic labels \\
      --from-beginning --isolation-level read_committed
Tool logs (WARN and above) go to stderr.
USAGE
}

(($#)) || { usage >&2; exit 2; }
case "$1" in
    topics) main=org.apache.kafka.tools.TopicCommand ;;
    console-consumer) main=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    console-producer) main=org.apache.kafka.tools.ConsoleProducer ;;
    consumer-groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
    transactions) main=org.apache.kafka.tools.TransactionsCommand ;;
    get-offsets) main=org.apache.kafka.tools.GetOffsetShell ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown tool: $1" ;;
esac
shift
need_lib_dir "$KAFKA_LIB_DIR" "mvn -B -f deploy/kafka-lib/pom.xml package"
exec "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 \
    -Dlog4j2.configurationFile="$DEPLOY_DIR/conf/kafka/tools-log4j2.properties" \
    -cp "$KAFKA_LIB_DIR/*" "$main" "$@"
