#ifndef CKAFKA_SHIM_H
#define CKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/*
 * rd_kafka_producev is variadic and Swift cannot call C variadics; this fixed-arity wrapper is
 * the only producing entry point the Kafka module uses. `headers` may be NULL (no headers);
 * when it is not, librdkafka takes ownership on success (the caller frees it on failure).
 * `rkt` is the topic's handle when the caller keeps one (rd_kafka_topic_new), which costs a
 * reference count per record; when it is NULL, `topic` names the topic and librdkafka looks the
 * name up under the client's write lock for every record.
 * Flags are RD_KAFKA_MSG_F_COPY: librdkafka copies key and value, so Swift buffers need to live
 * only for the duration of the call.
 */
static inline rd_kafka_resp_err_t ck_produce(rd_kafka_t *rk,
                                             rd_kafka_topic_t *rkt,
                                             const char *topic,
                                             int32_t partition,
                                             const void *key,
                                             size_t key_len,
                                             const void *value,
                                             size_t value_len,
                                             rd_kafka_headers_t *headers,
                                             int64_t timestamp_ms,
                                             void *opaque) {
        if (rkt)
                return rd_kafka_producev(
                    rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
                    RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
                    RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_END);
        return rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)value, value_len),
            RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
            RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
}

#endif
