# RabbitMQ from Debian's own package (3.10.8 on bookworm) on the locally built bookworm base: no image registry is
# needed. Built by eng/brokers/containers.sh; Testcontainers.RabbitMq starts it through
# MESSAGING_TESTING_RABBITMQ_IMAGE.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server \
 && rm -rf /var/lib/apt/lists/*
COPY rabbitmq.conf /etc/rabbitmq/rabbitmq.conf
# RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS (set by Testcontainers) are read by the server itself on first boot.
EXPOSE 5672
CMD ["rabbitmq-server"]
