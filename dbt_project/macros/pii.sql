{#- Personal data leaves staging only as a keyed hash (docs/decisions.md 48): HMAC-SHA256 of the
    normalised value's SHA-256 hex, the key from the environment (SOCIAL_ROI_PII_KEY). The
    dbt-duckdb plugin social_roi.dbt_pii holds the key's RFC 2104 pads in session variables, so
    the key never appears in compiled SQL; social_roi.pii.hmac_hex is the same function in
    Python. A connection without them fails on its first row instead of hashing without a key. -#}
{% macro pii_hash(sha256_hex) -%}
    case
        when getvariable('social_roi_pii_ipad') is null
            then error('no PII key on this connection: set SOCIAL_ROI_PII_KEY (docs/decisions.md 48)')
        else sha256(getvariable('social_roi_pii_opad') || unhex(sha256(
            getvariable('social_roi_pii_ipad') || encode(lower({{ sha256_hex }})))))
    end
{%- endmacro %}

{#- the trimmed, lower-cased address (how ad platforms normalise before hashing); blank → null -#}
{% macro email_hash(address) -%}
    {{ pii_hash("sha256(nullif(lower(trim(" ~ address ~ ")), ''))") }}
{%- endmacro %}

{#- digits only, a leading + kept (social_roi.pii.normalised_phone); digitless → null -#}
{% macro phone_hash(number) -%}
    {{ pii_hash("sha256(nullif(case when trim(" ~ number ~ ") like '+%' then '+' else '' end"
        ~ " || regexp_replace(" ~ number ~ ", '[^0-9]', '', 'g'), ''))") }}
{%- endmacro %}
