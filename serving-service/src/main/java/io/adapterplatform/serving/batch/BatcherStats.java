package io.adapterplatform.serving.batch;

import java.util.Set;

/**
 * What the batcher holds after its latest step, for metrics and adapter-affinity routing.
 *
 * @param waiting requests in the queue
 * @param running requests admitted (prefilling or decoding)
 * @param maxRows the row limit
 * @param kvTokensReserved prompt plus max_tokens of the running requests
 * @param kvTokenBudget the limit of {@code kvTokensReserved}
 * @param steps forward passes run so far
 * @param forwardNanos time spent in those forward passes, their logits copied to the host included:
 *     against the wall time of as many steps, what the batcher's loop costs beside them
 * @param lastStepRows rows of the latest forward pass
 * @param lastStepAdapters distinct adapter slots in the latest forward pass (base model rows
 *     included as -1)
 * @param runningAdapterSlots adapter slots of the running requests
 * @param waitingAdapterSlots adapter slots of the waiting requests
 */
public record BatcherStats(
    int waiting,
    int running,
    int maxRows,
    long kvTokensReserved,
    long kvTokenBudget,
    long steps,
    long forwardNanos,
    int lastStepRows,
    int lastStepAdapters,
    Set<Integer> runningAdapterSlots,
    Set<Integer> waitingAdapterSlots) {

  public BatcherStats {
    runningAdapterSlots = Set.copyOf(runningAdapterSlots);
    waitingAdapterSlots = Set.copyOf(waitingAdapterSlots);
  }

  /** Reserved KV tokens over the budget, 0 to 1. */
  public double kvUtilisation() {
    return (double) kvTokensReserved / kvTokenBudget;
  }
}
