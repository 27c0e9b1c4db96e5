-- Brand conversation and share of voice (PRODUCT.md: Awareness → share of voice, Engagement →
-- conversation): one row per day × tracked brand × platform, from the social-listening tool's
-- mentions of the brands in the `competitors` seed. Every tracked brand gets a row in every
-- day × platform cell where any of them was mentioned, so a cell's shares of voice cover the
-- whole competitive set and a brand nobody mentioned there shows 0 rather than going missing.
with

mentions as (

    select * from {{ ref('stg_brandwatch__mentions') }}

),

competitors as (

    select * from {{ ref('competitors') }}

),

brand_mentions as (

    -- A query tracks the brand the seed names for it (case and surrounding spaces ignored);
    -- other queries (topics, campaigns) are not brand mentions.
    select
        mentions.mention_date,
        competitors.brand,
        mentions.platform,
        mentions.sentiment,
        mentions.mention_id,
        coalesce(mentions.resource_id, mentions.mention_id) as document_id

    from mentions
    inner join competitors
        on lower(trim(mentions.query_name)) = lower(trim(competitors.query_name))

),

one_per_brand_and_document as (

    -- A brand tracked by several queries (aliases) can match one document twice: that is one
    -- mention of the brand, with the sentiment of its lowest mention id. A document naming two
    -- brands stays one mention of each.
    select {{ distinct_on('brand, document_id') }} * from brand_mentions
    {{ first_per('brand, document_id', 'mention_id') }}

),

counted as (

    select
        mention_date as conversation_date,
        brand,
        platform,
        count(*) as mentions,
        count(*) filter (where sentiment = 'positive') as positive_mentions,
        count(*) filter (where sentiment = 'neutral') as neutral_mentions,
        count(*) filter (where sentiment = 'negative') as negative_mentions

    from one_per_brand_and_document
    group by 1, 2, 3

),

brands as (

    select
        brand,
        bool_or(is_our_brand) as is_our_brand

    from competitors
    group by brand

),

cells as (

    select distinct
        conversation_date,
        platform

    from counted

),

completed as (

    select
        cells.conversation_date,
        brands.brand,
        brands.is_our_brand,
        cells.platform,
        coalesce(counted.mentions, 0) as mentions,
        coalesce(counted.positive_mentions, 0) as positive_mentions,
        coalesce(counted.neutral_mentions, 0) as neutral_mentions,
        coalesce(counted.negative_mentions, 0) as negative_mentions

    from cells
    cross join brands
    left join counted
        on cells.conversation_date = counted.conversation_date
        and cells.platform = counted.platform
        and brands.brand = counted.brand

),

final as (

    select
        conversation_date,
        brand,
        is_our_brand,
        platform,
        mentions,
        positive_mentions,
        neutral_mentions,
        negative_mentions,
        -- net sentiment = (positive − negative) / mentions, in [-1, 1]; NULL without mentions
        {{ round_dbl(fdiv('(positive_mentions - negative_mentions)', 'nullif(mentions, 0)'), 4) }} as net_sentiment,
        -- share of voice on the platform = the brand's mentions / all tracked brands' mentions
        -- that day on that platform (the cell always has some: it exists because of them)
        {{ round_dbl(fdiv('mentions', 'sum(mentions) over (partition by conversation_date, platform)'), 4) }}
            as platform_share_of_voice,
        -- share of voice of the day = the brand's mentions on every platform / all tracked
        -- brands' mentions that day; repeated on each of the brand's rows of the day (a ratio:
        -- never sum it, re-derive it from mentions when rolling up)
        {{ round_dbl(fdiv('sum(mentions) over (partition by conversation_date, brand)',
                          'sum(mentions) over (partition by conversation_date)'), 4) }}
            as day_share_of_voice

    from completed

)

select * from final
