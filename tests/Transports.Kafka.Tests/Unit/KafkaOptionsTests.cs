using Messaging.Adapters.Kafka.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Messaging.Adapters.Kafka.Tests.Unit;

public sealed class KafkaOptionsTests
{
    [Fact]
    public void Every_invalid_option_is_reported_naming_its_key()
    {
        var problems = KafkaTransportOptionsValidator.FindProblems(new KafkaTransportOptions
        {
            BootstrapServers = "broker-without-port",
            Partitions = 0,
            ReplicationFactor = 0,
            SessionTimeout = TimeSpan.FromMilliseconds(10),
            CommitInterval = TimeSpan.Zero,
            StreamPrefetch = 0,
            MaxMessageSize = 0,
        });

        Assert.Contains(problems, p => p.StartsWith("Messaging:Kafka:BootstrapServers must be host:port", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:Kafka:Partitions must be 1..10000, was 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:Kafka:ReplicationFactor", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:Kafka:SessionTimeout", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:Kafka:CommitInterval", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:Kafka:StreamPrefetch", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Messaging:Kafka:MaxMessageSize", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => new KafkaTransport(new KafkaTransportOptions { Partitions = 0 }));
    }

    [Fact]
    public async Task Messaging_Transport_Kafka_finds_the_adapter_and_binds_its_options()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("Messaging:Transport", "Kafka"),
            new("Messaging:Kafka:BootstrapServers", "kafka-1:9092,kafka-2:9092"),
            new("Messaging:Kafka:Partitions", "12"),
            new("Messaging:Retry:MaxAttempts", "3"),
        ]).Build();
        await using var provider = new ServiceCollection().AddMessaging(configuration).BuildServiceProvider();

        var transport = Assert.IsType<KafkaTransport>(provider.GetRequiredService<ITransport>());

        Assert.Equal("Kafka", transport.Name);
        Assert.Equal("kafka-1:9092,kafka-2:9092", transport.Options.BootstrapServers);
        Assert.Equal(12, transport.Options.Partitions);
        Assert.Equal(3, transport.Options.DefaultRetry.MaxAttempts);
        Assert.False(transport.Capabilities.DelayedDelivery);
        Assert.False(transport.Capabilities.ServerSideFiltering);
        Assert.True(transport.Capabilities.Streams && transport.Capabilities.OrderingByKey && transport.Capabilities.Durable);
    }

    [Fact]
    public void A_bad_option_stops_start_up_naming_the_key()
    {
        var bad = new ConfigurationBuilder().AddInMemoryCollection([
            new("Messaging:Transport", "Kafka"),
            new("Messaging:Kafka:CommitInterval", "00:10:00"),
        ]).Build();
        using var provider = new ServiceCollection().AddMessaging(bad).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KafkaTransportOptions>>().Value);

        Assert.Contains("Messaging:Kafka:CommitInterval must be 00:00:00.0100000..00:01:00, was 00:10:00", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_key_under_Messaging_Kafka_stops_start_up_naming_it()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([
            new("Messaging:Transport", "Kafka"),
            new("Messaging:Kafka:BootstrapServer", "kafka:9092"),
        ]).Build();

        var error = Assert.Throws<MessagingConfigurationException>(() => new ServiceCollection().AddMessaging(configuration));

        Assert.Contains("Messaging:Kafka:BootstrapServer", error.Message, StringComparison.Ordinal);
        Assert.Contains("BootstrapServers", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_escape_hatches_run_last_on_every_client_configuration()
    {
        var settings = new KafkaClientSettings(new KafkaTransportOptions
        {
            ConfigureProducer = c => c.LingerMs = 50,
            ConfigureConsumer = c => c.FetchWaitMaxMs = 7,
            ConfigureAdmin = c => c.SocketTimeoutMs = 1234,
        });

        var producer = settings.Producer();
        var consumer = settings.Consumer("g", Confluent.Kafka.AutoOffsetReset.Earliest);

        Assert.Equal(50, producer.LingerMs);
        Assert.True(producer.EnableIdempotence);
        Assert.Equal(Confluent.Kafka.Acks.All, producer.Acks);
        Assert.Equal(7, consumer.FetchWaitMaxMs);
        Assert.False(consumer.EnableAutoCommit);
        Assert.False(consumer.EnableAutoOffsetStore);
        Assert.Equal(1234, settings.Admin().SocketTimeoutMs);
    }
}
