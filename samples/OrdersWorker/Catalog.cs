namespace OrdersWorker;

/// <summary>The products the warehouse knows. A new product is missing until someone adds it: the "fix" of step 3.</summary>
public sealed class Catalog
{
    private readonly HashSet<string> _skus = ["A-1"];
    private readonly Lock _gate = new();

    /// <summary>Whether the warehouse knows <paramref name="sku"/>.</summary>
    public bool Knows(string sku)
    {
        lock (_gate)
        {
            return _skus.Contains(sku);
        }
    }

    /// <summary>Adds a product.</summary>
    public void Add(string sku)
    {
        lock (_gate)
        {
            _skus.Add(sku);
        }
    }
}
