using Messaging.Adapters.RabbitMq.Configuration;
using RabbitMQ.Client;

namespace Messaging.Adapters.RabbitMq;

/// <summary>
/// Options of the RabbitMQ transport (configuration section <c>Messaging:RabbitMq</c>).
/// </summary>
/// <remarks>
/// <para>How our words map onto RabbitMQ's (the broker's own features, nothing emulated in the client):</para>
/// <list type="bullet">
/// <item><description>A <b>topic</b> is a durable <c>headers</c> exchange named after the topic. It is not an AMQP
/// "topic exchange": routing keys play no part, filters match headers.</description></item>
/// <item><description>A <b>subscription</b> is the durable queue <c>&lt;topic&gt;.&lt;subscription&gt;</c> bound to
/// that exchange, one binding per filter alternative (<c>x-match: all</c> on <c>cloudEvents:type</c> and the
/// filter's headers), so the broker drops unmatched messages.</description></item>
/// <item><description>A <b>queue</b> is a durable queue of <see cref="QueueType"/>; a send publishes to the default
/// exchange with the queue's name as routing key, mandatory, so a missing queue is an error and not silence.</description></item>
/// <item><description>A <b>stream</b> is a stream queue (<c>x-queue-type: stream</c>); a reader group keeps its
/// checkpoint in the durable queue <c>&lt;stream&gt;.&lt;group&gt;.checkpoint</c> and elects its one active reader
/// through a single-active-consumer queue <c>&lt;stream&gt;.&lt;group&gt;.reader</c>.</description></item>
/// <item><description><b>Dead letters</b> go through the direct exchange <c>messaging.dead-letter</c> (routing key: the
/// source queue) into <c>&lt;queue&gt;.dead-letter</c>; every queue is declared with that exchange as its
/// <c>x-dead-letter-exchange</c>, so dead letters made by the broker itself land there too. <b>Delayed retries</b>
/// wait in <c>&lt;queue&gt;.retry.&lt;milliseconds&gt;</c> queues whose message TTL dead-letters them back.</description></item>
/// <item><description><b>Ordering by key</b>: a consumer asking for <see cref="MessageOrdering.ByKey"/> becomes the queue's
/// single active consumer through the single-active-consumer queue <c>&lt;queue&gt;.active-consumer</c>, then runs each
/// key's messages one at a time; other such consumers stand by.</description></item>
/// </list>
/// </remarks>
public sealed class RabbitMqTransportOptions : TransportOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Messaging:RabbitMq";

    /// <summary>The environment variable the tests, samples and benchmarks read the broker address from.</summary>
    public const string UriEnvironmentVariable = "MESSAGING_RABBITMQ_URI";

    /// <summary>The address of the local broker that <see cref="UriEnvironmentVariable"/> defaults to.</summary>
    public const string LocalUri = "amqp://guest:guest@localhost:5672/";

    /// <summary>The largest <see cref="MaxMessageSize"/> that can be configured: the broker's default
    /// <c>max_message_size</c> (128 MiB) less 64 KiB of headroom for the envelope's properties and headers.</summary>
    public const int MaxMessageSizeLimit = (128 * 1024 * 1024) - (64 * 1024);

    /// <summary>The broker's address: <c>amqp://user:password@host:port/vhost</c>, or <c>amqps://</c> for TLS.</summary>
    /// <value>The default value is <see cref="LocalUri"/>, RabbitMQ.Client's own defaults (the <c>guest</c> user can only
    /// log in from the broker's own machine). Setting it to <see langword="null"/> stops start-up. The password is never
    /// written to logs, exception messages or <see cref="ToString"/>.</value>
    public Uri? Uri { get; set; } = new(LocalUri);

    /// <summary>The name the connections show in the management UI and <c>rabbitmqctl list_connections</c>.</summary>
    /// <value>The default value is <see langword="null"/>: the entry assembly's name.</value>
    public string? ClientName { get; set; }

    /// <summary>The type of every queue the transport declares (queues, subscriptions, dead-letter and retry queues,
    /// checkpoints).</summary>
    /// <value>The default value is <see cref="RabbitMqQueueType.Quorum"/>.</value>
    /// <remarks>Queue arguments are fixed when a queue is created: changing this for existing queues makes the next
    /// declaration fail with <see cref="TopologyConflictException"/> naming both argument sets.</remarks>
    public RabbitMqQueueType QueueType { get; set; } = RabbitMqQueueType.Quorum;

    /// <summary>How long a publish waits for its publisher confirm, connection recoveries included, before it fails
    /// with <see cref="TransportUnavailableException"/> (outcome unknown).</summary>
    /// <value>The default value is 30 seconds. Valid values are 1 second to 10 minutes.</value>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether publishing, sending, appending and consuming declare what they need on first use.</summary>
    /// <value>The default value is <see langword="true"/>. With <see langword="false"/>, topology is created by
    /// <see cref="ITopology.EnsureAsync"/> or by the operator, and a send to a missing queue fails with
    /// <see cref="RabbitMqDestinationNotFoundException"/>.</value>
    public bool ProvisionOnFirstUse { get; set; } = true;

    /// <summary>Whether a subscription's filter is applied by the broker (its queue's bindings to the topic's headers
    /// exchange) or only by the consumer (<see cref="TransportCapabilities.ServerSideFiltering"/>).</summary>
    /// <value>The default value is <see langword="true"/>: messages a subscription does not want never reach its queue.</value>
    /// <remarks>A headers exchange matches headers, not the AMQP <c>type</c> property, so on the broker a message type
    /// filter matches <c>cloudEvents:type</c> only. When foreign publishers put the type only in the AMQP <c>type</c>
    /// property, set this to <see langword="false"/>: every message of the topic then reaches every subscription's
    /// queue and the consumer checks the filter with the one definition of a message's type the handler sees
    /// (<c>cloudEvents:type</c>, else the AMQP <c>type</c>), acknowledging what does not match without calling the
    /// handler. Existing subscriptions are rebound when they are next ensured.</remarks>
    public bool FilterOnBroker { get; set; } = true;

    /// <summary>The largest message body accepted, in bytes (<see cref="TransportCapabilities.MaxMessageSize"/>).</summary>
    /// <value>The default value is 16,777,216 (16 MiB). Valid values are 1 to <see cref="MaxMessageSizeLimit"/>.</value>
    /// <remarks>RabbitMQ accepts up to 128 MiB by default, but every message passes whole through the broker's memory
    /// and quorum queues replicate it; 16 MiB keeps a busy broker healthy. Raise it only with the broker's
    /// <c>max_message_size</c> in mind.</remarks>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>How many channels publishes are spread over.</summary>
    /// <value>The default value is 2. Valid values are 1 to 64.</value>
    /// <remarks>Each channel carries many publishes awaiting their confirms at once; more channels help only when
    /// many threads publish concurrently.</remarks>
    public int PublishChannels { get; set; } = 2;

    /// <summary>How often a quorum queue may deliver one message without it being settled before the broker sets it
    /// aside into the queue's dead-letter queue (<c>x-delivery-limit</c>, reason <c>delivery_limit</c> in its
    /// <c>x-death</c> header); 0 for no limit.</summary>
    /// <value>The default value is 10. Valid values are 0 to 1000.</value>
    /// <remarks><para>The library settles every message it can read (handled, retried or dead-lettered), so this limit
    /// catches only messages it cannot: a message whose properties RabbitMQ.Client cannot decode (a foreign publisher's
    /// header it does not support) drops the connection of its consumer before anything sees it, and comes back each
    /// time; a message that crashes the process does the same. Releases (a stopping consumer) and dropped connections
    /// count too, so keep it well above what a healthy queue sees.</para>
    /// <para>Classic queues have no such limit (RabbitMQ 3.10): there, an undecodable message keeps coming back to its
    /// consumer until an operator removes it. Queue arguments are fixed when a queue is created: a queue declared by a
    /// version without this argument is used as it is, with a warning (give it a <c>delivery-limit</c> policy, or
    /// delete it so that it is declared again with the limit).</para></remarks>
    public int DeliveryLimit { get; set; } = 10;

    /// <summary>How long the connection waits between attempts to recover after it was lost.</summary>
    /// <value>The default value is 5 seconds. Valid values are 100 milliseconds to 5 minutes.</value>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The AMQP heartbeat asked of the broker; a dead peer is noticed after about two missed heartbeats.</summary>
    /// <value>The default value is 60 seconds. Valid values are 1 second to 10 minutes.</value>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How many stream messages a reader takes from the broker ahead of its handler.</summary>
    /// <value>The default value is 100. Valid values are 1 to 10,000.</value>
    public int StreamPrefetch { get; set; } = 100;

    /// <summary>How long the checkpoint of a reader group that no reader has used survives
    /// (<c>x-expires</c> of its checkpoint queue), as Kafka expires the offsets of idle consumer groups.</summary>
    /// <value>The default value is 7 days. Valid values are 1 hour to 365 days.</value>
    public TimeSpan CheckpointRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long a temporary queue (<see cref="DestinationNames.NewTemporaryQueue"/>: a request client's reply
    /// queue) survives without a consumer (<c>x-expires</c>), so that the broker removes the queue of an owner that died
    /// without deleting it (<see cref="TransportCapabilities.TemporaryQueues"/>).</summary>
    /// <value>The default value is 1 minute. Valid values are 1 second to 1 day.</value>
    /// <remarks>A temporary queue is a classic queue with no dead-letter queue, durable so that it outlives a broker
    /// restart (its owner's consumer then resumes on it). Expiry rather than <c>exclusive</c>/<c>auto-delete</c>: an
    /// exclusive queue dies with its connection, so a brief connection loss would take the owner's replies with it,
    /// whereas an expiring one waits for the owner's consumer to come back. An owner cut off from the broker for longer
    /// than this loses its queue: its consumer stops with an error.</remarks>
    public TimeSpan TemporaryQueueExpiry { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>TLS settings beyond what the <c>amqps</c> scheme of <see cref="Uri"/> turns on.</summary>
    public RabbitMqTlsOptions Tls { get; set; } = new();

    /// <summary>Changes the AMQP properties of each outgoing message after the transport has set them.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>The escape hatch to the native client. It runs last, just before the publish, on every message the
    /// transport sends (retries and dead letters included). It can break the library's guarantees: changing
    /// <c>MessageId</c>, <c>Type</c>, <c>DeliveryMode</c> or the <c>cloudEvents:</c> headers changes what consumers
    /// see and whether messages survive a broker restart.</remarks>
    public Action<BasicProperties, Envelope>? CustomizeProperties { get; set; }

    /// <summary>Changes the RabbitMQ.Client connection factory after the transport has configured it.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>The escape hatch for connection settings these options do not cover (endpoints lists, credential
    /// providers, socket settings). It runs last and can break the library's guarantees: turning off automatic
    /// recovery, for example, turns every connection loss into failed publishes and stopped consumers.</remarks>
    public Action<ConnectionFactory>? ConfigureConnectionFactory { get; set; }

    /// <summary>Why the configured <c>Uri</c> text could not be read, with its password hidden; set by the configuration
    /// binding, reported by validation.</summary>
    internal string? UriProblem { get; set; }

    /// <summary>The options with the password hidden, for logs.</summary>
    /// <returns>A description of the options.</returns>
    public override string ToString() =>
        $"RabbitMq {{ Uri = {RabbitMqEndpoint.Describe(Uri)}, QueueType = {QueueType}, ProvisionOnFirstUse = {ProvisionOnFirstUse}, PublishTimeout = {PublishTimeout}, MaxMessageSize = {MaxMessageSize} }}";
}

/// <summary>
/// The kind of queue the RabbitMQ transport declares.
/// </summary>
public enum RabbitMqQueueType
{
    /// <summary>Replicated, durable quorum queues (Raft): the safe default for data that must not be lost.</summary>
    Quorum = 0,

    /// <summary>Durable classic queues: lighter, not replicated.</summary>
    Classic = 1,
}

/// <summary>
/// TLS settings of the RabbitMQ transport (<c>Messaging:RabbitMq:Tls</c>).
/// </summary>
/// <remarks>TLS is on when <see cref="Enabled"/> is set or when <see cref="RabbitMqTransportOptions.Uri"/> uses the
/// <c>amqps</c> scheme. The server certificate is always verified; there is no setting that turns the check off
/// (use <see cref="RabbitMqTransportOptions.ConfigureConnectionFactory"/> if you must).</remarks>
public sealed class RabbitMqTlsOptions
{
    /// <summary>Whether to connect with TLS even when the URI's scheme is <c>amqp</c>.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>The name the server certificate must carry.</summary>
    /// <value>The default value is <see langword="null"/>: the URI's host.</value>
    public string? ServerName { get; set; }

    /// <summary>A certificate authority to trust for the server's certificate, beside the machine's trust store: the
    /// path of a PEM or DER file, or the PEM text itself (<c>-----BEGIN CERTIFICATE-----...</c>), for brokers whose
    /// certificate a private CA issued. The host name is checked all the same.</summary>
    /// <value>The default value is <see langword="null"/>: the machine's trust store only.</value>
    public string? CaCertificate { get; set; }

    /// <summary>A client certificate file (PKCS#12) for mutual TLS.</summary>
    /// <value>The default value is <see langword="null"/>: no client certificate.</value>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The passphrase of <see cref="ClientCertificatePath"/>; never logged.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ClientCertificatePassphrase { get; set; }

    /// <summary>The options without the passphrase, for logs.</summary>
    /// <returns>A description.</returns>
    public override string ToString() =>
        $"Tls {{ Enabled = {Enabled}, ServerName = {ServerName ?? "(host)"}, CaCertificate = {(CaCertificate is null ? "(none)" : CaCertificate.Contains("-----BEGIN", StringComparison.Ordinal) ? "(PEM text)" : CaCertificate)}, ClientCertificatePath = {ClientCertificatePath ?? "(none)"}, ClientCertificatePassphrase = {(ClientCertificatePassphrase is null ? "(none)" : "***")} }}";
}
