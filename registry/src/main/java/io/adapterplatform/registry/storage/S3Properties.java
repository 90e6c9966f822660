package io.adapterplatform.registry.storage;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code platform.s3.*}: the S3 endpoint (MinIO, S3Proxy, AWS). */
@ConfigurationProperties("platform.s3")
record S3Properties(String endpoint, String accessKey, String secretKey, String region) {}
