package io.adapterplatform.training.worker;

import io.adapterplatform.events.DeduplicatingListener;
import io.adapterplatform.events.EventCodec;
import io.adapterplatform.events.EventInbox;
import io.adapterplatform.training.TrainingProperties;
import io.adapterplatform.training.events.TrainingEvent;
import io.adapterplatform.training.job.JobLeases;
import io.adapterplatform.training.job.JobQueued;
import io.adapterplatform.training.job.JobReports;
import io.adapterplatform.training.registry.WorkerRegistry;
import io.adapterplatform.training.storage.DatasetObjects;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.event.TransactionPhase;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * The worker role ({@code platform.training.role} {@code worker} or {@code all}): one {@link
 * TrainingWorker} and a consumer in the group {@code platform.training.worker.group-id} on {@code
 * training.jobs}, whose events (deduplicated by id in {@code training.inbox}) wake it. With role
 * {@code api} nothing starts. Starts after the web server (the worker reaches the registry at this
 * server's port in one JVM) and stops before it: running jobs are checkpointed and their leases
 * released, so another worker resumes them at once.
 */
@Component
public class Workers implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(Workers.class);
  static final String CONSUMER = "training-worker";

  private final WorkerSettings settings;
  private final TrainingProperties properties;
  private final JobLeases leases;
  private final JobReports reports;
  private final WorkerRegistry registry;
  private final JobPlanner planner;
  private final JobPublisher publisher;
  private final DatasetObjects objects;
  private final ConsumerFactory<?, ?> consumers;
  private final JdbcClient jdbc;
  private final PlatformTransactionManager transactions;

  private volatile @Nullable TrainingWorker worker;
  private volatile @Nullable ConcurrentMessageListenerContainer<?, ?> container;
  private volatile @Nullable CheckpointStore checkpoints;
  private volatile @Nullable Path workDir;
  private volatile boolean running;
  private final java.util.List<TrainingWorker> started =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  Workers(
      WorkerSettings settings,
      TrainingProperties properties,
      JobLeases leases,
      JobReports reports,
      WorkerRegistry registry,
      JobPlanner planner,
      JobPublisher publisher,
      DatasetObjects objects,
      ConsumerFactory<?, ?> consumers,
      JdbcClient jdbc,
      PlatformTransactionManager transactions) {
    this.settings = settings;
    this.properties = properties;
    this.leases = leases;
    this.reports = reports;
    this.registry = registry;
    this.planner = planner;
    this.publisher = publisher;
    this.objects = objects;
    this.consumers = consumers;
    this.jdbc = jdbc;
    this.transactions = transactions;
  }

  /** This process's worker; null with role {@code api} or once stopped. */
  public @Nullable TrainingWorker current() {
    return worker;
  }

  /**
   * Starts a new worker named {@code id} beside (or instead of) this process's own, on the same
   * beans: what a second worker process would be (tests of recovery, and a seam for benchmarks).
   */
  public synchronized TrainingWorker startWorker(String id) {
    var w =
        new TrainingWorker(
            id,
            settings,
            leases,
            reports,
            registry,
            planner,
            publisher,
            checkpointStore(),
            workDir());
    w.start();
    started.add(w);
    return w;
  }

  /** The workers of this process still running (its own and those of {@link #startWorker}). */
  public java.util.List<TrainingWorker> live() {
    return started.stream().filter(TrainingWorker::isRunning).toList();
  }

  /**
   * Where {@code job}'s time went on the worker of this process that claimed it last (what the
   * training bench prints); empty when none of them held it.
   */
  public java.util.Optional<JobTimings> timings(java.util.UUID job) {
    return started.stream()
        .flatMap(w -> w.timings(job).stream())
        .max(java.util.Comparator.comparing(JobTimings::claimedAt));
  }

  /**
   * A job queued through this process wakes its workers as soon as it is committed: the Kafka event
   * that wakes workers elsewhere takes the relay's poll and a consumer fetch to arrive.
   */
  @TransactionalEventListener(phase = TransactionPhase.AFTER_COMMIT)
  void onQueued(JobQueued queued) {
    for (TrainingWorker w : live()) {
      w.wake();
    }
  }

  @Override
  public synchronized void start() {
    running = true;
    if (!settings.role().runsWorker()) {
      log.info("training role {}: no worker in this process", settings.role());
      return;
    }
    String id = settings.worker().id();
    var w = startWorker(id == null || id.isBlank() ? defaultId() : id);
    worker = w;
    container = consumer(w);
  }

  private ConcurrentMessageListenerContainer<?, ?> consumer(TrainingWorker w) {
    var listener =
        new DeduplicatingListener<>(
            EventCodec.forSealed(TrainingEvent.class),
            TrainingEvent.class,
            new EventInbox(jdbc, "training.inbox", CONSUMER),
            transactions,
            event -> {
              if (event.payload() instanceof TrainingEvent.JobSubmitted) {
                w.wake();
              }
            });
    var containerProperties = new ContainerProperties(properties.jobsTopic());
    containerProperties.setGroupId(settings.worker().groupId());
    containerProperties.setMessageListener(listener);
    @SuppressWarnings("unchecked")
    var factory = (ConsumerFactory<String, String>) consumers;
    var c = new ConcurrentMessageListenerContainer<>(factory, containerProperties);
    c.setBeanName("trainingJobsConsumer");
    c.start();
    return c;
  }

  @Override
  public synchronized void stop() {
    var c = container;
    if (c != null) {
      c.stop();
      container = null;
    }
    for (TrainingWorker w : started) {
      w.stop();
    }
    started.clear();
    worker = null;
    running = false;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** After the web server (its phase is {@code Integer.MAX_VALUE - 1}), stopped before it. */
  @Override
  public int getPhase() {
    return Integer.MAX_VALUE;
  }

  private CheckpointStore checkpointStore() {
    var s = checkpoints;
    if (s == null) {
      s = new ObjectStoreCheckpointStore(objects.client(), objects.bucket());
      checkpoints = s;
    }
    return s;
  }

  private Path workDir() {
    var d = workDir;
    if (d == null) {
      try {
        Path configured = settings.worker().workDir();
        d =
            configured != null
                ? Files.createDirectories(configured)
                : Files.createTempDirectory("training-worker-");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the training worker's directory", e);
      }
      workDir = d;
    }
    return d;
  }

  private static String defaultId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "worker";
    }
    byte[] suffix = new byte[3];
    ThreadLocalRandom.current().nextBytes(suffix);
    return host + "-" + HexFormat.of().formatHex(suffix);
  }
}
