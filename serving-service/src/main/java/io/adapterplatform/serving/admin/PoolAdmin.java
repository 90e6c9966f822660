package io.adapterplatform.serving.admin;

import io.adapterplatform.serving.models.AdapterKey;
import io.adapterplatform.serving.models.ModelName;
import io.adapterplatform.serving.models.ModelResolver;
import io.adapterplatform.serving.models.ResolvedAdapter;
import io.adapterplatform.serving.models.ResolvedModel;
import io.adapterplatform.serving.pool.ServingPool;
import io.adapterplatform.web.problem.ApiException;
import org.springframework.stereotype.Service;

/** What the admin API does with the pool: refs resolve as requests' model names do. */
@Service
class PoolAdmin {

  private final ServingPool pool;
  private final ModelResolver resolver;

  PoolAdmin(ServingPool pool, ModelResolver resolver) {
    this.pool = pool;
    this.resolver = resolver;
  }

  ServingAdapterView.Page list() {
    return new ServingAdapterView.Page(pool.loaded().stream().map(ServingAdapterView::of).toList());
  }

  ServingAdapterView load(String ref, String token) {
    ResolvedAdapter adapter = adapter(ref, token);
    pool.acquire(adapter, token).close();
    return view(adapter.key());
  }

  ServingAdapterView pin(String ref, String token) {
    ResolvedAdapter adapter = adapter(ref, token);
    pool.pin(adapter, token);
    return view(adapter.key());
  }

  ServingAdapterView unpin(String ref, String token) {
    AdapterKey key = held(ref, token);
    pool.unpin(key);
    return view(key);
  }

  void unload(String ref, String token) {
    pool.unload(held(ref, token));
  }

  // a version the pool holds: adapter@number needs no registry (the version may be deleted there)
  private AdapterKey held(String ref, String token) {
    ModelName name = ModelName.parse(ref);
    if (name.ref().filter(r -> r.matches("[0-9]{1,9}")).isPresent()) {
      return new AdapterKey(name.name(), Integer.parseInt(name.ref().get()));
    }
    return adapter(ref, token).key();
  }

  private ResolvedAdapter adapter(String ref, String token) {
    ResolvedModel model = resolver.resolve(ref, token);
    if (!(model instanceof ResolvedAdapter adapter)) {
      throw ApiException.invalidField(
          "ref", "'" + ref + "' is a base model: the pool holds adapters only");
    }
    return adapter;
  }

  private ServingAdapterView view(AdapterKey key) {
    return pool.loaded().stream()
        .filter(a -> a.key().equals(key))
        .findFirst()
        .map(ServingAdapterView::of)
        .orElseThrow(() -> ApiException.notFound("adapter " + key + " in the pool"));
  }
}
