package io.adapterplatform.training.dataset;

import io.adapterplatform.training.TrainingProperties;
import io.adapterplatform.training.storage.DatasetObjects;
import io.adapterplatform.web.auth.Caller;
import io.adapterplatform.web.page.Cursors;
import io.adapterplatform.web.page.Names;
import io.adapterplatform.web.problem.ApiException;
import io.adapterplatform.web.upload.Multipart;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.jakarta.servlet6.JakartaServletFileUpload;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.databind.json.JsonMapper;

/**
 * Uploads and reads datasets. An upload is checked completely while it is copied to a temporary
 * file; only a dataset without a bad line reaches the object store, and only once it is there is
 * its version recorded (a crash in between leaves an unreferenced object, never a dangling row).
 */
@Service
class DatasetService {

  private static final Logger log = LoggerFactory.getLogger(DatasetService.class);
  private static final int MAX_NAME_BYTES = 256;

  private final Datasets datasets;
  private final DatasetObjects objects;
  private final JsonlSpool spool;
  private final DatasetTokenCounter tokenCounter;

  DatasetService(
      Datasets datasets,
      DatasetObjects objects,
      DatasetTokenCounter tokenCounter,
      TrainingProperties properties,
      JsonMapper json) {
    this.datasets = datasets;
    this.objects = objects;
    this.tokenCounter = tokenCounter;
    this.spool =
        new JsonlSpool(
            json,
            properties.datasets().maxFileSize().toBytes(),
            Math.toIntExact(properties.datasets().maxLineSize().toBytes()));
  }

  /**
   * Stores the upload's {@code file} as the next version of its {@code name}; with a {@code
   * baseModel} part, the tokens it trains on are counted with that base model's tokenizer.
   */
  Dataset upload(Caller caller, String bearerToken, HttpServletRequest request) {
    Multipart.require(request);
    String name = null;
    String baseModel = null;
    JsonlSpool.Result file = null;
    try {
      var items = new JakartaServletFileUpload<>().getItemIterator(request);
      while (items.hasNext()) {
        var item = items.next();
        switch (item.getFieldName()) {
          case "name" -> {
            if (name != null) {
              throw ApiException.invalidField("name", "is given twice");
            }
            name = readField("name", item.getInputStream());
          }
          case "baseModel" -> {
            if (baseModel != null) {
              throw ApiException.invalidField("baseModel", "is given twice");
            }
            baseModel = readField("baseModel", item.getInputStream());
          }
          case "file" -> {
            if (file != null) {
              throw ApiException.invalidField("file", "is given twice");
            }
            try (InputStream in = item.getInputStream()) {
              file = spool.copy(in);
            }
          }
          default ->
              throw ApiException.invalidField(
                  item.getFieldName(), "is not a part of this operation (name, file, baseModel)");
        }
      }
      return store(caller, bearerToken, name, baseModel, file);
    } catch (FileUploadException e) {
      throw ApiException.badRequest("malformed-multipart", "not a multipart body: " + e);
    } catch (IOException e) {
      throw ApiException.badRequest("malformed-multipart", "the upload ended early: " + e);
    } finally {
      if (file != null) {
        JsonlSpool.delete(file.file());
      }
    }
  }

  private Dataset store(
      Caller caller,
      String bearerToken,
      String name,
      @Nullable String baseModel,
      JsonlSpool.Result file) {
    Names.require("name", name);
    if (baseModel != null) {
      Names.require("baseModel", baseModel);
    }
    if (file == null) {
      throw ApiException.invalidField("file", "is required");
    }
    if (!caller.sees(name)) {
      throw ApiException.forbidden(
          "dataset name '" + name + "' is outside the token's scopes " + caller.scopes());
    }
    if (file.badLines() > 0) {
      var errors =
          file.firstBad().stream()
              .map(b -> new ApiException.FieldError("file", "line " + b.line() + " " + b.reason()))
              .toList();
      throw ApiException.unprocessable(
          "invalid-dataset",
          file.badLines()
              + " line(s) are not dataset records; the first: "
              + file.firstBad().stream().map(b -> String.valueOf(b.line())).toList(),
          errors);
    }
    if (file.records() == 0) {
      throw ApiException.unprocessable(
          "invalid-dataset",
          "the file holds no records",
          List.of(new ApiException.FieldError("file", "holds no records")));
    }
    Long tokens =
        baseModel == null ? null : tokenCounter.count(bearerToken, baseModel, file.file());
    String key = objects.put(file.sha256(), file.file());
    var dataset =
        datasets.insert(
            name,
            file.sha256(),
            file.size(),
            file.records(),
            tokens,
            baseModel,
            key,
            caller.actor());
    log.info(
        "dataset stored: dataset={} version={} records={} tokens={} sha256={}",
        dataset.name(),
        dataset.version(),
        dataset.records(),
        dataset.tokens(),
        dataset.sha256());
    return dataset;
  }

  private static String readField(String field, InputStream in) throws IOException {
    try (in) {
      byte[] bytes = in.readNBytes(MAX_NAME_BYTES + 1);
      if (bytes.length > MAX_NAME_BYTES) {
        throw ApiException.invalidField(field, "is too long");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  Dataset get(Caller caller, String name, int version) {
    Names.require("name", name);
    return datasets
        .find(caller, name, version)
        .orElseThrow(() -> ApiException.notFound("dataset '" + name + "@" + version + "'"));
  }

  DatasetPage list(Caller caller, Integer limit, String cursor) {
    int size = Cursors.limit(limit);
    String afterName = "";
    int afterVersion = 0;
    if (cursor != null) {
      String key = Cursors.decode(cursor);
      int at = key.lastIndexOf('@');
      try {
        afterName = key.substring(0, at);
        afterVersion = Integer.parseInt(key.substring(at + 1));
      } catch (RuntimeException e) {
        throw ApiException.invalidField("cursor", "is not a cursor returned by this API");
      }
    }
    var rows = datasets.page(caller, afterName, afterVersion, size + 1);
    return new DatasetPage(
        List.copyOf(rows.subList(0, Math.min(size, rows.size()))),
        Cursors.next(rows, size, d -> d.name() + "@" + d.version()));
  }
}
