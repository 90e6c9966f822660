package io.adapterplatform.events;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A Kafka record listener that hands each event to {@code handler} at most once per id: in one
 * database transaction it records the id in the {@link EventInbox} and runs the handler, or skips
 * an id already there. When the handler throws, the transaction (its effects and the id) rolls back
 * and the exception reaches the listener container, whose error handler redelivers. Events of types
 * the codec does not know are ignored. Use it as a container's message listener, or call {@link
 * #onMessage} from a {@code @KafkaListener} method.
 *
 * @param <E> the payload records the handler takes
 */
public final class DeduplicatingListener<E> implements MessageListener<String, String> {

  /** What a consumer does with one event; runs inside the inbox's transaction. */
  @FunctionalInterface
  public interface Handler<E> {
    void handle(EventEnvelope<? extends E> event);
  }

  private static final Logger log = LoggerFactory.getLogger(DeduplicatingListener.class);

  private final EventCodec codec;
  private final Class<E> payloads;
  private final EventInbox inbox;
  private final TransactionTemplate tx;
  private final Handler<E> handler;

  /**
   * @param payloads the common type of the payloads the handler takes (a sealed interface or a
   *     record)
   */
  public DeduplicatingListener(
      EventCodec codec,
      Class<E> payloads,
      EventInbox inbox,
      PlatformTransactionManager transactions,
      Handler<E> handler) {
    this.codec = codec;
    this.payloads = payloads;
    this.inbox = inbox;
    this.tx = new TransactionTemplate(transactions);
    this.handler = handler;
  }

  @Override
  @SuppressWarnings("unchecked")
  public void onMessage(ConsumerRecord<String, String> record) {
    var event = codec.read(record.value()).orElse(null);
    if (event == null || !payloads.isInstance(event.payload())) {
      log.debug(
          "ignoring an event of a type this consumer does not know at {}-{}@{}",
          record.topic(),
          record.partition(),
          record.offset());
      return;
    }
    var typed = (EventEnvelope<? extends E>) event;
    tx.executeWithoutResult(
        status -> {
          if (inbox.firstDelivery(typed.id())) {
            handler.handle(typed);
          } else {
            log.debug("skipping event {} ({}): already processed", typed.id(), typed.type());
          }
        });
  }
}
