{#- Personal data leaves staging only as a keyed hash (docs/decisions.md 48): HMAC-SHA256 of the
    normalised value's SHA-256 hex, the key from the environment (SOCIAL_ROI_PII_KEY). The
    dbt-duckdb plugin social_roi.dbt_pii holds the key's RFC 2104 pads in session variables, so
    the key never appears in compiled SQL; social_roi.pii.hmac_hex is the same function in
    Python. A connection without them fails on its first row instead of hashing without a key. -#}
{% macro pii_hash(sha256_hex) -%}
    {{ return(adapter.dispatch('pii_hash', 'social_roi')(sha256_hex)) }}
{%- endmacro %}

{% macro default__pii_hash(sha256_hex) -%}
    case
        when getvariable('social_roi_pii_ipad') is null
            then error('no PII key on this connection: set SOCIAL_ROI_PII_KEY (docs/decisions.md 48)')
        else sha256(getvariable('social_roi_pii_opad') || unhex(sha256(
            getvariable('social_roi_pii_ipad') || encode(lower({{ sha256_hex }})))))
    end
{%- endmacro %}

{#- Postgres (decision 56): pgcrypto's hmac with the key in the session setting
    social_roi.pii_key, which social_roi.transform passes as a connection startup option
    (PGOPTIONS), never in SQL. A connection without it fails on its first row
    ("unrecognized configuration parameter"): no unkeyed fallback. -#}
{% macro postgres__pii_hash(sha256_hex) -%}
    encode(hmac(convert_to(lower({{ sha256_hex }}), 'UTF8'),
        convert_to(current_setting('social_roi.pii_key'), 'UTF8'), 'sha256'), 'hex')
{%- endmacro %}

{#- the trimmed, lower-cased address (how ad platforms normalise before hashing); blank → null -#}
{% macro email_hash(address) -%}
    {{ pii_hash(sha256_hex("nullif(lower(trim(" ~ address ~ ")), '')")) }}
{%- endmacro %}

{#- digits only, a leading + kept (social_roi.pii.normalised_phone); digitless → null -#}
{% macro phone_hash(number) -%}
    {{ pii_hash(sha256_hex("nullif(case when trim(" ~ number ~ ") like '+%' then '+' else '' end"
        ~ " || regexp_replace(" ~ number ~ ", '[^0-9]', '', 'g'), '')")) }}
{%- endmacro %}
